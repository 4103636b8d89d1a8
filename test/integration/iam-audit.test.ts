// /iam-audit, the audit Remediate button and the App Home tab, end to end: the real app process against
// fake Slack, fake CloudTrail LookupEvents and moto (IAM, STS, CloudTrail trails).
//
// The harness points CloudTrail at the LookupEvents fake, which serves nothing else; the audit also needs
// DescribeTrails / GetTrailStatus (and the remediation StartLogging), so a small router in front sends
// LookupEvents to the fake and every other CloudTrail operation to moto. IAM and those CloudTrail calls go
// through the audit tests' AWS proxy, so a test can make AWS deny a call (AccessDenied) or patch an answer.
//
// The app runs on the real clock and moto stamps keys "now", so the age rules for access keys (unused for
// 90 days, older than 90 days) cannot trigger here: they are covered with an injected clock in
// test/audit/audit.test.ts and test/slack/blocks/audit.test.ts. Here a fresh never-used key is asserted
// NOT to be reported (7-day grace period) and to show as "never used" in `user`.
import { createServer, type IncomingHttpHeaders } from "node:http";
import type { AddressInfo } from "node:net";
import { GetAccountPasswordPolicyCommand, type IAMClient } from "@aws-sdk/client-iam";
import type { KnownBlock } from "@slack/types";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { ActionIds } from "../../src/slack/action-ids.js";
import { validateBlocks, validateMessage } from "../../src/slack/blocks/limits.js";
import { setSummaryValue, startAwsProxy, type AwsProxy } from "../audit/support/aws-proxy.js";
import { createKey, createTrail, createUser, setPasswordPolicy } from "../audit/support/seed.js";
import { blockActionPayload, sendBlockAction, sendEvent, sendSlashCommand } from "../fakes/slack-request.js";
import type { AppProcess } from "../support/app-process.js";
import { ALERT_CHANNEL, SIGNING_SECRET, startHarness, type Harness } from "../support/harness.js";
import { buttonsIn, visibleTexts } from "../support/slack-helpers.js";
import type { Moto } from "../support/moto.js";
import { iamRecord } from "../support/records.js";

const RESPONDER = "U0RESP";
const APPROVER_1 = "U0APPR1";
const APPROVER_2 = "U0APPR2";
const OUTSIDER = "U0MALLORY";
const OPS_CHANNEL = "C0OPS";

interface Router {
  url: string;
  close(): Promise<void>;
}

/** CloudTrail JSON 1.1 router: LookupEvents to the fake, everything else to moto. */
async function startCloudTrailRouter(lookupUrl: string, otherUrl: string): Promise<Router> {
  const drop = new Set(["host", "connection", "content-length", "transfer-encoding", "expect", "keep-alive"]);
  const forwardHeaders = (h: IncomingHttpHeaders): Record<string, string> => {
    const out: Record<string, string> = {};
    for (const [k, v] of Object.entries(h)) if (v !== undefined && !drop.has(k)) out[k] = Array.isArray(v) ? v.join(", ") : v;
    return out;
  };
  const server = createServer((req, res) => {
    void (async () => {
      const chunks: Buffer[] = [];
      for await (const c of req) chunks.push(c as Buffer);
      const target = String(req.headers["x-amz-target"] ?? "");
      const base = target.endsWith(".LookupEvents") ? lookupUrl : otherUrl;
      const hasBody = req.method !== "GET" && req.method !== "HEAD";
      const r = await fetch(`${base}${req.url ?? "/"}`, { method: req.method ?? "POST", headers: forwardHeaders(req.headers), ...(hasBody ? { body: Buffer.concat(chunks) } : {}) });
      const body = Buffer.from(await r.arrayBuffer());
      const headers: Record<string, string> = {};
      r.headers.forEach((v, k) => {
        if (!drop.has(k) && k !== "content-encoding") headers[k] = v;
      });
      res.writeHead(r.status, { ...headers, "content-length": String(body.length) });
      res.end(body);
    })().catch((err: unknown) => {
      res.writeHead(502, { "content-type": "text/plain" });
      res.end(String(err));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => { resolve(); });
      }),
  };
}

interface Posted {
  response_type?: string;
  text?: string;
  blocks?: KnownBlock[];
}

let h: Harness;
let moto: Moto;
let router: Router;
let proxy: AwsProxy;
let app: AppProcess;
let deleteRoleEventId: string;
let seq = 0;

beforeAll(async () => {
  h = await startHarness({ moto: true });
  moto = h.moto as Moto;
  proxy = await startAwsProxy(moto.endpoint);
  router = await startCloudTrailRouter(h.cloudtrail.url, proxy.endpoint);
  // An IAM deletion the bot alerts on at its first poll (used by `events`, `user` and the Home tab).
  deleteRoleEventId = h.cloudtrail.addEvent(
    iamRecord({ eventName: "DeleteRole", eventTime: new Date(Date.now() - 5 * 60_000), requestParameters: { roleName: "app-role" } }),
  ).EventId;
  app = await h.start({
    AWS_ENDPOINT_URL_CLOUDTRAIL: router.url,
    AWS_ENDPOINT_URL_IAM: proxy.endpoint,
    RESPONDERS: RESPONDER,
    APPROVERS: `${APPROVER_1},${APPROVER_2}`,
  });
}, 60_000);

afterAll(async () => {
  await h?.close();
  await router?.close();
  await proxy?.stop();
});

beforeEach(async () => {
  await moto.reset();
  proxy.clear();
});

const appUrl = () => `${app.url}/slack/events`;

/** Sends `/iam-audit <text>`; returns the HTTP ack body and the response_url id. */
async function command(text: string, user = RESPONDER, channel = OPS_CHANNEL): Promise<{ ack: Posted; id: string; ackMs: number }> {
  const id = `cmd-${++seq}`;
  const started = Date.now();
  const res = await sendSlashCommand(appUrl(), SIGNING_SECRET, {
    command: "/iam-audit",
    text,
    user_id: user,
    channel_id: channel,
    response_url: h.slack.responseUrl(id),
  });
  const ackMs = Date.now() - started;
  expect(res.status).toBe(200);
  return { ack: res.body ? (JSON.parse(res.body) as Posted) : {}, id, ackMs };
}

/** Every post to the response URL once the answer is complete (the last part says "part n of n", or there are no parts). */
async function answer(id: string, timeoutMs = 45_000): Promise<Posted[]> {
  return h.slack.waitFor(
    (s) => {
      const posts = s.responses(id).map((p) => p.body as Posted);
      const last = posts[posts.length - 1];
      if (!last) return false;
      const m = /\(part (\d+) of (\d+)\)$/.exec(last.text ?? "");
      return m && m[1] !== m[2] ? false : posts;
    },
    timeoutMs,
    `answer to ${id}`,
  );
}

/** The text Slack shows for the posts (fallback texts and every text object, not button values). */
function shown(posts: Posted[]): string {
  return posts.flatMap((p) => [p.text ?? "", ...visibleTexts(p.blocks ?? [])]).join("\n");
}

function expectWithinLimits(posts: Posted[]): void {
  expect(posts.length).toBeLessThanOrEqual(5);
  for (const p of posts) expect(validateMessage({ text: p.text ?? "", blocks: p.blocks ?? [] })).toEqual([]);
}

const buttons = (blocks: unknown[]) => buttonsIn(blocks) as { action_id: string; value: string }[];

async function runCommand(text: string, user = RESPONDER): Promise<Posted[]> {
  const { ack, id } = await command(text, user);
  expect(ack.text).toBe("Working on it…");
  return answer(id);
}

async function seedInParallel(iam: IAMClient, names: string[], opts: { password?: boolean; mfa?: boolean }): Promise<void> {
  for (let i = 0; i < names.length; i += 10) {
    await Promise.all(names.slice(i, i + 10).map((n) => createUser(iam, n, opts)));
  }
}

describe("help and unknown subcommands", () => {
  test("help lists every subcommand, privately; `public` answers in the channel", async () => {
    const { ack } = await command("help");
    expect(ack.response_type).toBe("ephemeral");
    const text = shown([ack]);
    for (const s of ["`/iam-audit`", "`/iam-audit events [24h|7d|30d|<N>h|<N>d]`", "`/iam-audit report [account]`", "`/iam-audit user <name or ARN> [account]`", "`/iam-audit log`", "`/iam-audit help`"]) {
      expect(text).toContain(s);
    }
    const pub = await command("help public");
    expect(pub.ack.response_type).toBe("in_channel");
  });

  test("an unknown subcommand says so and shows the help", async () => {
    const { ack } = await command("frobnicate");
    expect(ack.text).toContain("Unknown subcommand `frobnicate`");
    expect(shown([ack])).toContain("`/iam-audit log`");
  });

  test("a bad time window is explained", async () => {
    const posts = await runCommand("events 7w");
    expect(shown(posts)).toContain("is not a time window");
  });
});

describe("authorization", () => {
  test("someone outside RESPONDERS/APPROVERS is refused privately, and the refusal is in `/iam-audit log`", async () => {
    const { ack, id } = await command("", OUTSIDER);
    expect(ack.response_type).toBe("ephemeral");
    expect(ack.text).toMatch(/not allowed to use \/iam-audit/);
    await h.waitForAction((a) => a.actor === OUTSIDER && a.action === "iam-audit" && a.result === "refused");
    expect(h.slack.responses(id)).toEqual([]);

    const log = await runCommand("log public");
    expect(log.every((p) => p.response_type === "in_channel")).toBe(true);
    expectWithinLimits(log);
    expect(shown(log)).toMatch(new RegExp(`<@${OUTSIDER}> · \\*iam-audit\\* · 🚫 refused · subcommand report · reason not a responder`));
  });
});

describe("posture report", () => {
  test("a weak account: every weakness is found and named; a fresh unused key is still in its grace period", async () => {
    const iam = moto.iam();
    await createUser(iam, "alice", { password: true }); // console password, no MFA
    await createUser(iam, "bob");
    const bobKey = await createKey(iam, "bob", moto.endpoint); // never used, created now
    const trailArn = await createTrail(moto.cloudtrail(), moto.endpoint, "main-trail", { multiRegion: true, logging: false });
    // No password policy at all (moto's default).

    const { ack, id, ackMs } = await command("");
    expect(ack).toMatchObject({ response_type: "ephemeral", text: "Working on it…" });
    expect(ackMs).toBeLessThan(3000);
    const posts = await answer(id);
    expectWithinLimits(posts);
    expect(posts.every((p) => p.response_type === "ephemeral")).toBe(true);
    const text = shown(posts);
    expect(text).toContain("No account password policy");
    expect(text).toContain("Console user alice has no MFA");
    expect(text).toContain("Trail main-trail is not logging");
    expect(text).toContain("No multi-region trail is logging");
    expect(text).toContain("Root user has no MFA");
    expect(text).toContain("IAM deletion alerts of the last 24 hours by status");
    expect(text).not.toContain(bobKey);
    // Findings with a fix carry a Remediate button naming the stored report and the finding, nothing more.
    const values = buttons(posts.flatMap((p) => p.blocks ?? [])).filter((b) => b.action_id === ActionIds.auditRemediate).map((b) => JSON.parse(b.value) as { report: number; finding: string });
    expect(values.map((v) => v.finding)).toEqual(
      expect.arrayContaining([
        "password-policy:missing",
        // The critical finding comes first and carries the button; the stopped trail shares its fix.
        "cloudtrail:no-multi-region-logging",
      ]),
    );
    expect(values).toHaveLength(2);
    expect(new Set(values.map((v) => Object.keys(v).sort().join(",")))).toEqual(new Set(["finding,report"]));
    expect(JSON.stringify(values)).not.toContain(trailArn);
    expect(text).toContain("Fixed by the same remediation as “No multi-region trail is logging”");

    const bob = await runCommand("user bob");
    expectWithinLimits(bob);
    const bobText = shown(bob);
    expect(bobText).toContain("*IAM user `bob`*");
    expect(bobText).toContain(`\`${bobKey}\` Active · 0 days old`);
    expect(bobText).toContain("never used");
    expect(bobText).toContain("*Console password*: none");

    const alice = await runCommand("user alice");
    expect(shown(alice)).toContain("*MFA*: none ⚠️");
    expect(shown(alice)).toContain("Console user alice has no MFA");

    const ghost = await runCommand("user ghost");
    expect(shown(ghost)).toContain("No IAM user `ghost` in this account");
    const role = await runCommand("user arn:aws:iam::123456789012:role/deployer");
    expect(shown(role)).toContain("is not an IAM user ARN");
  });

  test("a healthy account reports only the root-MFA finding moto always produces", async () => {
    const iam = moto.iam();
    await setPasswordPolicy(iam);
    await createUser(iam, "alice", { password: true, mfa: true });
    await createUser(iam, "ci");
    await createKey(iam, "ci", moto.endpoint, true);
    await createTrail(moto.cloudtrail(), moto.endpoint, "org-audit", { multiRegion: true, logging: true });

    const posts = await runCommand("");
    expectWithinLimits(posts);
    expect(posts).toHaveLength(1);
    const text = shown(posts);
    expect(posts[0]?.text).toBe("IAM audit: 1 finding");
    expect(text).toContain("*1 finding*: 🔴 1 critical");
    const headings = [...text.matchAll(/\*([A-Za-z ]+)\* — (\d+) findings?/g)].map((m) => `${m[1]}:${m[2]}`);
    expect(headings).toEqual(["Root user:1"]);
    expect(text).toContain("Root user has no MFA");
    expect(text).not.toMatch(/could not complete|error/);
  });

  test("a clean account says so", async () => {
    const iam = moto.iam();
    await setPasswordPolicy(iam);
    await createUser(iam, "alice", { password: true, mfa: true });
    await createTrail(moto.cloudtrail(), moto.endpoint, "org-audit", { multiRegion: true, logging: true });
    // moto cannot give the root user MFA: make GetAccountSummary say it has.
    proxy.on("GetAccountSummary", async (_call, forward) => {
      const r = await forward();
      return { ...r, body: setSummaryValue(r.body, "AccountMFAEnabled", 1) };
    });
    const posts = await runCommand("");
    expectWithinLimits(posts);
    expect(posts[0]?.text).toBe("IAM audit: clean");
    expect(shown(posts)).toContain("✅ *Clean*: no findings, and all 5 checks ran");
  });

  test("AWS errors name the permission the bot lacks; the other checks still run", async () => {
    await createUser(moto.iam(), "alice", { password: true });
    proxy.deny("GenerateCredentialReport");
    const posts = await runCommand("");
    expectWithinLimits(posts);
    const text = shown(posts);
    expect(text).toContain("*Console users without MFA*: AWS denied `iam:GenerateCredentialReport` — add it to the bot's policy");
    expect(text).toContain("No account password policy");
    expect(text).not.toContain("Console user alice has no MFA");

    // A lookup that fails outright (not a per-check error) is reported the same way.
    proxy.deny("GetUser");
    const user = shown(await runCommand("user alice"));
    expect(user).toContain("Could not look up the user: AWS denied `iam:GetUser` — add it to the bot's policy");
  });

  test("120 console users without MFA: several response_url posts, all within limits, every user named", async () => {
    const names = Array.from({ length: 120 }, (_, i) => `console-user-${String(i).padStart(3, "0")}`);
    await seedInParallel(moto.iam(), names, { password: true });

    const posts = await runCommand("");
    expect(posts.length).toBeGreaterThan(1);
    expectWithinLimits(posts);
    const text = shown(posts);
    const named = new Set([...text.matchAll(/Console user (console-user-\d{3}) has no MFA/g)].map((m) => m[1]));
    expect(named.size).toBe(120);
    expect(text).not.toMatch(/more [a-z ]+ not shown/);
    expect(text).toContain("*Console users without MFA* — 120 findings");
    // 120 users + no password policy + root MFA + no multi-region trail
    expect(posts[0]?.text).toMatch(/^IAM audit: 123 findings \(part 1 of \d\)$/);
  }, 120_000);
});

describe("events, user and the App Home", () => {
  test("events lists the alert the bot raised, with status, severity, actor and a link to its message", async () => {
    await h.slack.waitFor((s) => s.messages(ALERT_CHANNEL).some((m) => (m.metadata?.event_payload as { event_id?: string } | undefined)?.event_id === deleteRoleEventId), 40_000, "DeleteRole alert posted");
    const alertMsg = h.slack.messages(ALERT_CHANNEL).find((m) => (m.metadata?.event_payload as { event_id?: string } | undefined)?.event_id === deleteRoleEventId);

    const posts = await runCommand("events 24h");
    expectWithinLimits(posts);
    const text = shown(posts);
    expect(text).toContain("*1 alert* in the last 24 hours");
    expect(text).toMatch(/🆕 \*open\* · \S+ (critical|high|medium|low) · `DeleteRole` by/);
    expect(text).toContain("`DeleteRole` by `arn:aws:iam::123456789012:user/alice` on Role `app-role`");
    expect(text).toContain(`<${h.slack.url}/archives/${ALERT_CHANNEL}/p${alertMsg?.ts.replace(".", "")}|view alert>`);

    const week = await runCommand("events 7d");
    expect(shown(week)).toContain("in the last 7 days");

    const alice = await runCommand("user alice");
    const aliceText = shown(alice);
    expect(aliceText).toContain("No IAM user `alice` in this account");
    expect(aliceText).toContain("*IAM deletions by this principal in the last 30 days* (1)");
    expect(aliceText).toContain("`DeleteRole`");
    const byArn = await runCommand("user arn:aws:iam::123456789012:user/alice");
    expect(shown(byArn)).toContain("*IAM deletions by this principal in the last 30 days* (1)");
  });

  test("opening the App Home publishes open alerts with their buttons, counts and the last audit; it refreshes on every open", async () => {
    await h.slack.waitFor((s) => s.messages(ALERT_CHANNEL).length > 0, 40_000);
    const res = await sendEvent(appUrl(), SIGNING_SECRET, { type: "app_home_opened", user: RESPONDER, channel: "D0HOME", tab: "home" });
    expect(res.status).toBe(200);
    const home = await h.slack.waitFor((s) => s.views.find((v) => v.createdBy === "views.publish" && v.userId === RESPONDER), 10_000, "home published");
    const blocks = home.view.blocks as KnownBlock[];
    expect(validateBlocks(blocks, { maxBlocks: 100 })).toEqual([]);
    const text = shown([{ blocks }]);
    expect(text).toContain("*Open alerts* (1), newest first");
    expect(text).toMatch(/\*DeleteRole\* \((critical|high|medium|low)\)/);
    expect(text).toContain("🆕 Open *1*");
    expect(text).toContain("*Last IAM audit*");
    expect(text).toMatch(/\*\d+ findings?\*/);
    const b = buttons(blocks);
    expect(b.map((x) => x.action_id)).toEqual([ActionIds.acknowledge, ActionIds.escalate, ActionIds.remediate]);
    expect(b.every((x) => x.value === deleteRoleEventId)).toBe(true);

    // An outsider's click from the Home tab is refused on the server; a responder's is not.
    const homeView = { ...home.view, type: "home" } as unknown as Parameters<typeof blockActionPayload>[0]["view"];
    await sendBlockAction(appUrl(), SIGNING_SECRET, blockActionPayload({ userId: OUTSIDER, actionId: ActionIds.acknowledge, value: deleteRoleEventId, view: homeView! }));
    await h.slack.waitFor((s) => s.ephemerals.some((e) => e.user === OUTSIDER && /not allowed/.test(e.text ?? "")), 10_000);
    await sendBlockAction(appUrl(), SIGNING_SECRET, blockActionPayload({ userId: RESPONDER, actionId: ActionIds.acknowledge, value: deleteRoleEventId, view: homeView! }));
    await h.waitForAction((a) => a.actor === RESPONDER && a.action === "acknowledge" && a.result === "ok");

    await sendEvent(appUrl(), SIGNING_SECRET, { type: "app_home_opened", user: RESPONDER, channel: "D0HOME", tab: "home" });
    const again = await h.slack.waitFor((s) => s.views.find((v) => v.createdBy === "views.publish" && v.userId === RESPONDER && v.updates >= 1), 10_000, "home re-published");
    const text2 = shown([{ blocks: again.view.blocks as KnownBlock[] }]);
    expect(text2).toContain("No open alerts.");
    expect(text2).toContain("👀 Acknowledged *1*");

    // The Messages tab does not publish.
    const before = h.slack.callsTo("views.publish").length;
    await sendEvent(appUrl(), SIGNING_SECRET, { type: "app_home_opened", user: RESPONDER, channel: "D0HOME", tab: "messages" });
    await new Promise((r) => setTimeout(r, 500));
    expect(h.slack.callsTo("views.publish").length).toBe(before);
  });
});

describe("remediating an audit finding", () => {
  test("no password policy: Remediate → request with Approve/Reject → four eyes → a second approver sets the policy in IAM", async () => {
    const posts = await runCommand("", APPROVER_1);
    const button = buttons(posts.flatMap((p) => p.blocks ?? [])).find((b) => b.action_id === ActionIds.auditRemediate && b.value.includes("password-policy:missing"));
    expect(button).toBeDefined();
    const value = button?.value ?? "";

    // Outsiders are refused on the server.
    await sendBlockAction(appUrl(), SIGNING_SECRET, blockActionPayload({ userId: OUTSIDER, actionId: ActionIds.auditRemediate, value, channelId: OPS_CHANNEL }));
    await h.slack.waitFor((s) => s.ephemerals.some((e) => e.user === OUTSIDER && /not allowed to request remediations/.test(e.text ?? "")), 10_000);
    // A forged value is refused.
    await sendBlockAction(appUrl(), SIGNING_SECRET, blockActionPayload({ userId: APPROVER_1, actionId: ActionIds.auditRemediate, value: '{"f":"x","r":"rm -rf","p":{}}', channelId: OPS_CHANNEL }));
    await h.slack.waitFor((s) => s.ephemerals.some((e) => e.user === APPROVER_1 && /not valid/.test(e.text ?? "")), 10_000);
    // Forged buttons: another remediation smuggled into a real report's button, and a finding that report
    // never had. Both are refused and recorded; nothing is requested.
    const real = JSON.parse(value) as { report: number; finding: string };
    const smuggled = JSON.stringify({ ...real, r: "deactivate-access-key", p: { userName: "ci", accessKeyId: "AKIAFORGEDFORGED0001" } });
    const invented = JSON.stringify({ report: real.report, finding: "access-key-unused:AKIAFORGEDFORGED0001" });
    await sendBlockAction(appUrl(), SIGNING_SECRET, blockActionPayload({ userId: APPROVER_1, actionId: ActionIds.auditRemediate, value: smuggled, channelId: OPS_CHANNEL }));
    await sendBlockAction(appUrl(), SIGNING_SECRET, blockActionPayload({ userId: APPROVER_1, actionId: ActionIds.auditRemediate, value: invented, channelId: OPS_CHANNEL }));
    await h.slack.waitFor((s) => s.ephemerals.some((e) => e.user === APPROVER_1 && /does not match a finding trailwatch reported/.test(e.text ?? "")), 10_000);
    await h.slack.waitFor((s) => s.ephemerals.filter((e) => e.user === APPROVER_1 && /not valid/.test(e.text ?? "")).length === 2, 10_000);
    const refusals = (await h.actions()).filter((a) => a.actor === APPROVER_1 && a.action === "remediation-request" && a.result === "refused");
    expect(refusals.map((a) => a.detail.reason)).toEqual(
      expect.arrayContaining(["invalid button value", "no such finding with a remediation in the stored report (forged or stale button)"]),
    );
    expect(refusals.some((a) => String(a.detail.value).includes("AKIAFORGEDFORGED0001"))).toBe(true);
    expect(h.slack.messages(OPS_CHANNEL)).toEqual([]);

    await sendBlockAction(appUrl(), SIGNING_SECRET, blockActionPayload({ userId: APPROVER_1, actionId: ActionIds.auditRemediate, value, channelId: OPS_CHANNEL }));
    const request = await h.slack.waitFor((s) => s.messages(OPS_CHANNEL).find((m) => m.text?.startsWith("Remediation requested")), 20_000, "request posted");
    expect(validateMessage({ text: request.text ?? "", blocks: (request.blocks ?? []) as KnownBlock[] })).toEqual([]);
    const reqButtons = buttons(request.blocks ?? []);
    expect(reqButtons.map((b) => b.action_id)).toEqual([ActionIds.approveRemediation, ActionIds.rejectRemediation]);
    const requestId = reqButtons[0]?.value ?? "";
    expect(shown([{ blocks: request.blocks as KnownBlock[] }])).toContain("UpdateAccountPasswordPolicy");

    // The requester cannot approve their own request.
    await sendBlockAction(appUrl(), SIGNING_SECRET, blockActionPayload({ userId: APPROVER_1, actionId: ActionIds.approveRemediation, value: requestId, channelId: OPS_CHANNEL, messageTs: request.ts }));
    await h.slack.waitFor((s) => s.ephemerals.some((e) => e.user === APPROVER_1 && /four-eyes/.test(e.text ?? "")), 10_000);
    await expect(moto.iam().send(new GetAccountPasswordPolicyCommand({}))).rejects.toThrow();

    await sendBlockAction(appUrl(), SIGNING_SECRET, blockActionPayload({ userId: APPROVER_2, actionId: ActionIds.approveRemediation, value: requestId, channelId: OPS_CHANNEL, messageTs: request.ts }));
    const outcome = await h.slack.waitFor((s) => s.messages(OPS_CHANNEL).find((m) => m.thread_ts === request.ts && m.ts !== request.ts && m.text?.startsWith("Remediat")), 30_000, "outcome posted");
    expect(outcome.text).toMatch(/^Remediated:/);
    const policy = (await moto.iam().send(new GetAccountPasswordPolicyCommand({}))).PasswordPolicy;
    expect(policy).toMatchObject({
      MinimumPasswordLength: 14,
      RequireSymbols: true,
      RequireNumbers: true,
      RequireUppercaseCharacters: true,
      RequireLowercaseCharacters: true,
      PasswordReusePrevention: 24,
      MaxPasswordAge: 90,
      AllowUsersToChangePassword: true,
    });

    // The same button again: nothing left to do, and the clicker is told why, privately.
    const requestsBefore = h.slack.messages(OPS_CHANNEL).filter((m) => m.text?.startsWith("Remediation requested")).length;
    await sendBlockAction(appUrl(), SIGNING_SECRET, blockActionPayload({ userId: APPROVER_1, actionId: ActionIds.auditRemediate, value, channelId: OPS_CHANNEL }));
    await h.slack.waitFor((s) => s.ephemerals.some((e) => e.user === APPROVER_1 && /cannot be requested now: the password policy is already at least as strict/.test(e.text ?? "")), 10_000);
    expect(h.slack.messages(OPS_CHANNEL).filter((m) => m.text?.startsWith("Remediation requested")).length).toBe(requestsBefore);

    const log = shown(await runCommand("log"));
    expect(log).toMatch(new RegExp(`<@${APPROVER_1}> · \\*remediation-request\\* · ✅ ok · request \`${requestId}\``));
    expect(log).toMatch(new RegExp(`<@${APPROVER_2}> · \\*remediation-approve\\* · ✅ ok · request \`${requestId}\``));
    expect(log).toMatch(new RegExp(`<@${APPROVER_1}> · \\*remediation-approve\\* · 🚫 refused · request \`${requestId}\``));
    expect(log).toMatch(new RegExp(`<@${OUTSIDER}> · \\*remediation-request\\* · 🚫 refused`));
  }, 90_000);
});
