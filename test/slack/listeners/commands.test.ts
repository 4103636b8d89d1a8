// `/iam-audit` in process, behind its authorization rule as Bolt runs it: a fake ack and respond, a stubbed
// WebClient, an in-memory store. The answer the user sees (the ack, the response URL posts) and the recorded use.
import type { SlashCommand } from "@slack/bolt";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { Authorizer } from "../../../src/auth/index.js";
import type { CommandArgs } from "../../../src/slack/listeners/authorize.js";
import { iamAuditRule, NOT_ALLOWED, onIamAudit, ROLE_WAIT_MS, WORKING } from "../../../src/slack/listeners/commands.js";
import type { ListenerDeps } from "../../../src/slack/listeners/deps.js";
import { STSClient } from "@aws-sdk/client-sts";
import { AccountRegistry } from "../../../src/accounts/registry.js";
import type { AccountSnapshotResult, SnapshotFleet } from "../../../src/snapshot/fleet.js";
import { stubRegistry, type StubAccount } from "../../support/accounts.js";
import { ACCOUNT_ID, APPROVER, callsOf, CHANNEL, dispatch, listenerHarness, OUTSIDER, recorded, RESPONDER, seedAlert, type Harness } from "../../support/slack-listeners.js";
import { visibleTexts } from "../../support/slack-helpers.js";

/** A user group in RESPONDERS, and one of its members (not listed by id). */
const GROUP = "SRESPONDRS1";
const MEMBER = "UGROUPMEM01";
const MEMBERSHIP_NOTE = "Slack cannot confirm user-group membership right now";

let h: Harness;
beforeEach(async () => {
  h = await listenerHarness();
});
afterEach(async () => {
  vi.useRealTimers();
  await h.store.close();
});

function command(user: string, text: string) {
  const cmd = { command: "/iam-audit", text, user_id: user, user_name: user, channel_id: CHANNEL, channel_name: "alerts", team_id: "T1", team_domain: "example", response_url: "https://hooks.slack.com/commands/T1/1/x", trigger_id: "trigger-1", api_app_id: "A1", token: "t" } as SlashCommand;
  const ack = vi.fn((_r?: unknown) => Promise.resolve());
  const respond = vi.fn((_r: Record<string, unknown>) => Promise.resolve());
  return { args: { command: cmd, ack, respond, context: {} } as unknown as CommandArgs, ack, respond };
}

/** Runs the command as Bolt does: the authorization middleware, then the listener. */
const run = (args: CommandArgs, deps: ListenerDeps = h.deps) => dispatch(deps, iamAuditRule, onIamAudit, args);

const answered = (respond: ReturnType<typeof command>["respond"]) => respond.mock.calls.map(([r]) => JSON.stringify(r)).join("\n");

/** The deps with RESPONDERS holding GROUP, whose members Slack lists only when `members` resolves. */
function withGroup(members: Promise<string[]>): ListenerDeps {
  h.client.usergroups.users.list.mockImplementation(async () => ({ ok: true, users: await members }));
  return { ...h.deps, auth: new Authorizer(h.web, [RESPONDER, GROUP], [APPROVER], h.deps.logger) };
}

/** A promise settled by the test. */
function gate<T>() {
  let resolve!: (v: T) => void;
  let reject!: (e: Error) => void;
  const promise = new Promise<T>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  return { promise, resolve, reject };
}

describe("/iam-audit (iamAuditRule + onIamAudit)", () => {
  test("events: acknowledged with 'Working on it…', then the alerts of the window with links, recorded ok", async () => {
    const alert = await seedAlert(h.store, { eventName: "DeleteRole", requestParameters: { roleName: "billing-admin-role" } });
    const { args, ack, respond } = command(RESPONDER, "events 24h");
    await run(args);
    expect(ack).toHaveBeenCalledWith({ response_type: "ephemeral", text: WORKING });
    const shown = answered(respond);
    expect(shown).toContain("billing-admin-role");
    expect(shown).toContain(`https://example.slack.com/archives/${CHANNEL}/p`);
    expect(respond.mock.calls.every(([r]) => r.response_type === "ephemeral")).toBe(true);
    expect(callsOf(h.client.chat.getPermalink)).toEqual([{ channel: CHANNEL, message_ts: alert.messageTs }]);
    const [rec] = await recorded(h.store);
    expect(rec).toMatchObject({ actor: RESPONDER, action: "iam-audit", result: "ok", detail: { subcommand: "events", args: "24h", window: "24h", alerts: 1, delivered: respond.mock.calls.length } });
  });

  test("log, public: the action log is posted in the channel", async () => {
    await h.store.recordAction({ at: new Date(), actor: "UEARLIER01", action: "acknowledge", alertEventId: null, requestId: null, result: "ok", detail: {} });
    const { args, respond } = command(RESPONDER, "log public");
    await run(args);
    expect(answered(respond)).toContain("<@UEARLIER01>");
    expect(respond.mock.calls[0]?.[0].response_type).toBe("in_channel");
  });

  test("help, for someone allowed: the help is the acknowledgement itself, nothing follows, recorded ok", async () => {
    const { args, ack, respond } = command(RESPONDER, "help public");
    await run(args);
    expect(ack).toHaveBeenCalledTimes(1);
    expect(ack.mock.calls[0]?.[0]).toMatchObject({ response_type: "in_channel", text: expect.stringContaining("/iam-audit") as unknown });
    expect(JSON.stringify(ack.mock.calls[0]?.[0])).toContain("`/iam-audit log`");
    expect(respond).not.toHaveBeenCalled();
    expect(await recorded(h.store)).toEqual([expect.objectContaining({ actor: RESPONDER, action: "iam-audit", result: "ok", detail: { subcommand: "help", args: "", public: true, channel: CHANNEL } })]);
  });

  test("someone not in RESPONDERS is refused in the acknowledgement itself (even for help), and the refusal is recorded", async () => {
    for (const text of ["log", "help"]) {
      const { args, ack, respond } = command(OUTSIDER, text);
      await run(args);
      expect(ack.mock.calls).toEqual([[{ response_type: "ephemeral", text: NOT_ALLOWED }]]);
      expect(respond).not.toHaveBeenCalled();
    }
    expect(NOT_ALLOWED).toBe("You are not allowed to use /iam-audit (ask an admin to add you to RESPONDERS or APPROVERS). Nothing was run.");
    const refusals = await recorded(h.store);
    expect(refusals).toHaveLength(2);
    expect(refusals[0]).toMatchObject({ actor: OUTSIDER, action: "iam-audit", alertEventId: null, requestId: null, result: "refused", detail: { subcommand: "log", reason: "not a responder", channel: CHANNEL } });
    expect(refusals[1]).toMatchObject({ result: "refused", detail: { subcommand: "help", reason: "not a responder" } });
  });

  test("a slow user-group look-up: acknowledged with 'Working on it…' after the wait, answered once Slack lists the member", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const slack = gate<string[]>();
    const { args, ack, respond } = command(MEMBER, "help");
    const done = run(args, withGroup(slack.promise));
    await vi.advanceTimersByTimeAsync(ROLE_WAIT_MS - 1);
    expect(ack).not.toHaveBeenCalled();
    await vi.advanceTimersByTimeAsync(1);
    // Not known to be allowed yet: no help in the ack, only the interim answer.
    expect(ack.mock.calls).toEqual([[{ response_type: "ephemeral", text: WORKING }]]);
    expect(respond).not.toHaveBeenCalled();
    vi.useRealTimers();
    slack.resolve([MEMBER]);
    await done;
    expect(answered(respond)).toContain("`/iam-audit log`");
    expect(await recorded(h.store)).toEqual([expect.objectContaining({ actor: MEMBER, result: "ok", detail: expect.objectContaining({ subcommand: "help", delivered: 1 }) as unknown })]);
    expect(callsOf(h.client.usergroups.users.list)).toEqual([{ usergroup: GROUP }]);
  });

  test("a slow user-group look-up that then fails: refused through the response URL, saying why, recorded; nothing is answered", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    const slack = gate<string[]>();
    const { args, ack, respond } = command(MEMBER, "log");
    const done = run(args, withGroup(slack.promise));
    await vi.advanceTimersByTimeAsync(ROLE_WAIT_MS);
    expect(ack.mock.calls).toEqual([[{ response_type: "ephemeral", text: WORKING }]]);
    vi.useRealTimers();
    slack.reject(new Error("usergroups.users.list: fatal_error"));
    await done;
    expect(respond.mock.calls).toEqual([[{ response_type: "ephemeral", text: expect.stringContaining(NOT_ALLOWED) as unknown }]]);
    expect(answered(respond)).toContain(MEMBERSHIP_NOTE);
    expect(await recorded(h.store)).toEqual([expect.objectContaining({ actor: MEMBER, action: "iam-audit", result: "refused", detail: expect.objectContaining({ subcommand: "log", reason: "not a responder" }) as unknown })]);
  });

  test("a role check that throws refuses (fail closed): told in the ack, recorded with the failure, the command never runs", async () => {
    const broken = { ...h.deps, auth: { isResponder: () => Promise.reject(new Error("authorizer exploded")), isApprover: () => Promise.reject(new Error("authorizer exploded")), unverifiedGroups: [] } as unknown as Authorizer };
    const listener = vi.fn(() => Promise.resolve());
    const { args, ack, respond } = command(RESPONDER, "log");
    await dispatch(broken, iamAuditRule, listener, args);
    expect(ack.mock.calls).toEqual([[{ response_type: "ephemeral", text: NOT_ALLOWED }]]);
    expect(listener).not.toHaveBeenCalled();
    expect(respond).not.toHaveBeenCalled();
    expect(await recorded(h.store)).toEqual([expect.objectContaining({ actor: RESPONDER, result: "refused", detail: expect.objectContaining({ reason: "not a responder", roleCheckFailed: "authorizer exploded" }) as unknown })]);
  });

  test("user: when IAM cannot be read the answer says so, and the use is recorded as an error", async () => {
    const { args, respond } = command(RESPONDER, "user alice");
    await run(args);
    expect(answered(respond)).toContain("Could not look up the user");
    expect((await recorded(h.store))[0]).toMatchObject({ result: "error", detail: { subcommand: "user", found: null } });
  });

  test("when the response URL fails, nothing more is sent and the record says none was delivered", async () => {
    const { args, respond } = command(RESPONDER, "log");
    respond.mockRejectedValue(new Error("expired_url"));
    await run(args);
    expect(respond).toHaveBeenCalledTimes(1);
    expect((await recorded(h.store))[0]).toMatchObject({ result: "ok", detail: { delivered: 0 } });
  });

  test("snapshot with several accounts: one line per account, the failed one first with what AWS said, recorded as an error", async () => {
    const results: AccountSnapshotResult[] = [
      {
        account: { scope: "default", id: "123456789012", name: "own account", own: true },
        result: { ok: true, stored: false, calls: 12, ms: 900, rawBytes: 2048, gaps: [], pruned: 0, meta: { id: 3, scope: "default", takenAt: new Date(0), confirmedAt: new Date(1000), hash: "h", rawBytes: 2048, storedBytes: 512 } },
      },
      {
        account: { scope: "444455556666", id: "444455556666", name: "payments-prod", own: false },
        result: { ok: true, stored: true, calls: 40, ms: 1200, rawBytes: 4096, gaps: [], pruned: 0, meta: { id: 7, scope: "444455556666", takenAt: new Date(0), confirmedAt: new Date(0), hash: "h2", rawBytes: 4096, storedBytes: 800 } },
      },
      {
        account: { scope: "777788889999", id: "777788889999", name: "sandbox <!here>", own: false },
        result: { ok: false, error: "AccessDenied: not authorized to perform: sts:AssumeRole on *trailwatch*", calls: 0, ms: 30 },
      },
    ];
    const runSnapshots = vi.fn((_reason: string) => Promise.resolve(results));
    const { args, respond } = command(RESPONDER, "snapshot");
    await run(args, { ...h.deps, snapshots: { run: runSnapshots } as unknown as SnapshotFleet });
    expect(runSnapshots).toHaveBeenCalledWith("command");
    const shown = visibleTexts(respond.mock.calls.map(([r]) => r.blocks));
    expect(shown[0]).toBe("*IAM snapshots of 3 watched accounts:* 1 stored, 1 unchanged, ⚠️ 1 failed (their restores keep using their previous snapshot)");
    // Failed first; the account name and the error are shown as text, never as mentions or formatting.
    expect(shown[1]).toMatch(/^\*sandbox &lt;!here&gt;\* `777788889999`: ⚠️ failed: `AccessDenied: not authorized to perform: sts:AssumeRole on \S*trailwatch\S*`$/);
    expect(shown.slice(2)).toEqual([
      "*own account* `123456789012`: unchanged since snapshot #3, 12 AWS calls",
      "*payments-prod* `444455556666`: stored snapshot #7, 40 AWS calls",
    ]);
    expect((await recorded(h.store))[0]).toMatchObject({ result: "error", detail: { subcommand: "snapshot", accounts: 3, stored: 1, failed: 1 } });
  });
});

describe("/iam-audit report [account] and user … [account] with many accounts", () => {
  const PAYMENTS = "444455556666";
  const SANDBOX = "777788889999";
  /** AWS's answer to every call the payments role makes: denied, naming the action it lacks. */
  const denied = (command: unknown) => {
    const op = (command as { constructor: { name: string } }).constructor.name.replace(/Command$/, "");
    return Promise.reject(Object.assign(new Error(`User: arn:aws:sts::${PAYMENTS}:assumed-role/trailwatch/trailwatch is not authorized to perform: iam:${op} on resource: *`), { name: "AccessDenied", $metadata: { httpStatusCode: 403 } }));
  };
  let paymentsCalls: string[];
  const accounts = (extra: StubAccount[] = []): StubAccount[] => [
    { id: ACCOUNT_ID, name: "security-tooling", own: true },
    {
      id: PAYMENTS,
      name: "payments-prod",
      send: (c) => {
        paymentsCalls.push((c as { constructor: { name: string } }).constructor.name);
        return denied(c);
      },
    },
    {
      id: SANDBOX,
      name: "legacy-sandbox",
      identity: null,
      assumeError: { kind: "denied", code: "AccessDenied", message: `not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::${SANDBOX}:role/trailwatch`, missingPermission: "sts:AssumeRole" },
    },
    ...extra,
  ];
  const many = (extra: StubAccount[] = []): ListenerDeps => ({ ...h.deps, accounts: stubRegistry(accounts(extra)) });
  beforeEach(() => {
    paymentsCalls = [];
  });

  test.each(["report payments-prod", "report PAYMENTS-PROD", `report ${PAYMENTS}`])("%s: the posture is read through that account's role, named in the reply; a denial names the permission", async (text) => {
    const { args, respond } = command(RESPONDER, text);
    await run(args, many());
    const shown = answered(respond);
    expect(shown).toContain(`*Account:* *payments-prod* \`${PAYMENTS}\``);
    expect(shown).toContain("AWS denied `iam:GenerateCredentialReport` — add it to the bot's policy");
    expect(paymentsCalls).toContain("GenerateCredentialReportCommand");
    // The own account's clients were never asked (they would have failed with "does not expect an AWS call").
    expect(shown).not.toContain("does not expect an AWS call");
    expect((await recorded(h.store))[0]).toMatchObject({ result: "ok", detail: { subcommand: "report", account: PAYMENTS } });
    const stored = await h.store.lastAuditReport();
    expect(stored?.report).toMatchObject({ accountId: PAYMENTS, accountName: "payments-prod" });
  });

  test("report without an account reads the own account, named as such", async () => {
    const { args, respond } = command(RESPONDER, "report");
    await run(args, many());
    const shown = answered(respond);
    expect(shown).toContain(`*Account:* *security-tooling* \`${ACCOUNT_ID}\``);
    expect(shown).toContain("does not expect an AWS call");
    expect(paymentsCalls).toEqual([]);
  });

  test("an unknown account gets the usage and how to list the accounts; nothing is read anywhere", async () => {
    const { args, respond } = command(RESPONDER, "report payments");
    await run(args, many());
    expect(respond.mock.calls.map(([r]) => r.text)).toEqual([
      "No watched account is named or numbered `payments`. Usage: `/iam-audit report [account]`, with an account's display name or 12-digit id. `/iam-audit accounts` lists the watched accounts.",
    ]);
    expect(paymentsCalls).toEqual([]);
    expect((await recorded(h.store))[0]).toMatchObject({ result: "noop", detail: { reason: "account unknown", account: "payments" } });
    expect(await h.store.lastAuditReport()).toBeNull();
  });

  test("a name two accounts share is ambiguous: both are listed with their ids", async () => {
    const { args, respond } = command(RESPONDER, "report Payments-Prod");
    await run(args, many([{ id: "111122223333", name: "Payments-Prod" }]));
    expect(answered(respond)).toContain(`names 2 watched accounts (*payments-prod* \`${PAYMENTS}\`, *Payments-Prod* \`111122223333\`): give the 12-digit id instead`);
    expect(paymentsCalls).toEqual([]);
  });

  test("an account whose role cannot be assumed: the reply names it and what STS refused", async () => {
    const { args, respond } = command(RESPONDER, "report legacy-sandbox");
    await run(args, many());
    expect(answered(respond)).toContain(`trailwatch cannot act in account *legacy-sandbox* \`${SANDBOX}\`: AWS denied \`sts:AssumeRole\``);
    expect((await recorded(h.store))[0]).toMatchObject({ result: "error", detail: { account: SANDBOX, reason: "missing sts:AssumeRole" } });
    expect(await h.store.lastAuditReport()).toBeNull();
  });

  test("user with an ARN of a watched account is looked up there", async () => {
    const { args, respond } = command(RESPONDER, `user arn:aws:iam::${PAYMENTS}:user/alice`);
    await run(args, many());
    const shown = answered(respond);
    expect(shown).toContain(`*Account:* *payments-prod* \`${PAYMENTS}\``);
    expect(shown).toContain("Could not look up the user: AWS denied `iam:GetUser`");
    expect(paymentsCalls).toEqual(["GetUserCommand"]);
  });

  test("user with a name and an account looks there; an ARN of an account not watched is refused, never looked up in the own account", async () => {
    const named = command(RESPONDER, "user alice payments-prod");
    await run(named.args, many());
    expect(answered(named.respond)).toContain("AWS denied `iam:GetUser`");
    expect(paymentsCalls).toEqual(["GetUserCommand"]);

    const foreign = command(RESPONDER, "user arn:aws:iam::999988887777:user/alice");
    await run(foreign.args, many());
    expect(answered(foreign.respond)).toContain("Account `999988887777` is not among the accounts trailwatch watches");
    expect(answered(foreign.respond)).not.toContain("does not expect an AWS call");

    const mismatch = command(RESPONDER, `user arn:aws:iam::${PAYMENTS}:user/alice security-tooling`);
    await run(mismatch.args, many());
    expect(answered(mismatch.respond)).toContain(`belongs to account \`${PAYMENTS}\`, not to the account named`);
    expect(paymentsCalls).toEqual(["GetUserCommand"]);
  });

  test("user <name>: only the deletions polled from the account looked in (the own account without one named)", async () => {
    const alice = (account: string) => ({ type: "IAMUser", principalId: `AIDA${account}`, arn: `arn:aws:iam::${account}:user/alice`, accountId: account, userName: "alice" });
    const recent = new Date(Date.now() - 60_000);
    await seedAlert(h.store, { eventName: "DeleteRole", eventTime: recent, requestParameters: { roleName: "own-side-role" }, identity: alice(ACCOUNT_ID) }, { accountId: ACCOUNT_ID });
    // Stored before the own account's id was known: no account recorded, so the own account's.
    await seedAlert(h.store, { eventName: "DeleteRole", eventTime: recent, requestParameters: { roleName: "unrecorded-role" }, identity: alice(ACCOUNT_ID) });
    await seedAlert(h.store, { eventName: "DeleteRole", eventTime: recent, requestParameters: { roleName: "payments-side-role" }, identity: alice(PAYMENTS) }, { accountId: PAYMENTS });

    const own = command(RESPONDER, "user alice");
    await run(own.args, many());
    expect(answered(own.respond)).toContain("own-side-role");
    expect(answered(own.respond)).toContain("unrecorded-role");
    expect(answered(own.respond)).not.toContain("payments-side-role");

    const named = command(RESPONDER, "user alice payments-prod");
    await run(named.args, many());
    expect(answered(named.respond)).toContain("payments-side-role");
    expect(answered(named.respond)).not.toContain("own-side-role");
    expect(answered(named.respond)).not.toContain("unrecorded-role");
  });

  test.each([
    ["no registry", () => Promise.resolve(h.deps)],
    // As main.ts builds it for one account: the registry does not resolve the own id (only STS knows it).
    ["the own-only registry", async () => ({ ...h.deps, accounts: await ownOnlyRegistry() })],
  ])("one account (%s): an ARN of the own account is looked up there, of another is refused; replies name no account", async (_label, depsOf) => {
    const deps: ListenerDeps = await depsOf();
    const mine = command(RESPONDER, `user arn:aws:iam::${ACCOUNT_ID}:user/alice`);
    await run(mine.args, deps);
    expect(answered(mine.respond)).toContain("Could not look up the user");
    expect(answered(mine.respond)).not.toContain("Account:");
    const foreign = command(RESPONDER, `user arn:aws:iam::${PAYMENTS}:user/alice`);
    await run(foreign.args, deps);
    expect(answered(foreign.respond)).toContain(`Account \`${PAYMENTS}\` is not among the accounts trailwatch watches`);
    const own = command(RESPONDER, "user alice");
    await run(own.args, deps);
    expect(answered(own.respond)).not.toContain("Account:");
    const report = command(RESPONDER, "");
    await run(report.args, deps);
    expect(answered(report.respond)).not.toContain("Account:");
    const byId = command(RESPONDER, `report ${ACCOUNT_ID}`);
    await run(byId.args, deps);
    expect(answered(byId.respond)).toContain(`*Account:* *own account* \`${ACCOUNT_ID}\``);
  });

  async function ownOnlyRegistry(): Promise<AccountRegistry> {
    const r = new AccountRegistry({
      config: { source: "own", includeOwnAccount: true },
      region: "us-east-1",
      cloudTrailRegion: "us-east-1",
      own: { iam: h.deps.iam, cloudtrail: h.deps.cloudtrail, sts: new STSClient({ region: "us-east-1" }), botIdentity: h.deps.botIdentity },
      logger: h.deps.logger,
    });
    await r.load();
    return r;
  }
});
