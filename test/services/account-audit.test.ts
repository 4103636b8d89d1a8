// `/iam-audit` across watched accounts, at the service level: which account an argument or an ARN names, and a
// finding remediated in the account its report was read in. The last part runs against moto, where credentials
// from sts:AssumeRole into arn:aws:iam::<account>:role/… act in that account, through the real AccountRegistry.
import { GetAccountPasswordPolicyCommand, type IAMClient } from "@aws-sdk/client-iam";
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { AccountRegistry } from "../../src/accounts/registry.js";
import { createLogger } from "../../src/log.js";
import { accountOfArn, resolveAccount, resolveArnAccount } from "../../src/services/account-target.js";
import { postureReport } from "../../src/services/audit-queries.js";
import type { ServiceDeps } from "../../src/services/deps.js";
import { remediationDepsForRequest } from "../../src/services/remediation-deps.js";
import { approveRemediation, requestFindingRemediation, type RemediationNotifier, type RequestPoster } from "../../src/services/remediations.js";
import { stubRegistry } from "../support/accounts.js";
import { MOTO_ACCOUNT_ID, TEST_CREDENTIALS, useMoto } from "../support/moto.js";
import { ACCOUNT_ID, APPROVER, CHANNEL, listenerHarness, recorded, RESPONDER, type Harness } from "../support/slack-listeners.js";
import { auditFinding, auditReport } from "../support/stored.js";

const PAYMENTS = "444455556666";
const SANDBOX = "777788889999";

/** Posts and Slack updates succeed and are not looked at here. */
const ports: RequestPoster & RemediationNotifier = {
  postRequest: (_req, _plan, where) => Promise.resolve({ channel: where.channels[0] ?? CHANNEL, ts: "1700000001.000100" }),
  requestChanged: () => Promise.resolve(),
  remediationFinished: () => Promise.resolve(),
  alertChanged: () => Promise.resolve(),
};

describe("which account a question is about", () => {
  let h: Harness;
  let deps: ServiceDeps;
  const payments = { send: () => Promise.reject(new Error("payments")) };
  beforeEach(async () => {
    h = await listenerHarness();
    deps = {
      ...h.deps,
      accounts: stubRegistry([
        { id: ACCOUNT_ID, name: "security-tooling", own: true },
        { id: PAYMENTS, name: "payments-prod", send: payments.send },
        { id: SANDBOX, name: "Payments-Prod" },
      ]),
    };
  });
  afterEach(async () => {
    await h.store.close();
  });

  test("an id names its account exactly; a name case-insensitively and only when one account has it", async () => {
    expect(await resolveAccount(deps, PAYMENTS)).toMatchObject({ ok: true, target: { id: PAYMENTS, name: "payments-prod", own: false } });
    expect(await resolveAccount(deps, ` ${ACCOUNT_ID} `)).toMatchObject({ ok: true, target: { id: ACCOUNT_ID, own: true, iam: deps.iam } });
    expect(await resolveAccount(deps, "SECURITY-TOOLING")).toMatchObject({ ok: true, target: { id: ACCOUNT_ID } });
    expect(await resolveAccount(deps, "")).toMatchObject({ ok: true, target: { id: ACCOUNT_ID, name: "security-tooling", own: true } });
    expect(await resolveAccount(deps, "payments-PROD")).toMatchObject({ ok: false, problem: "ambiguous", matches: [{ id: PAYMENTS }, { id: SANDBOX }] });
    expect(await resolveAccount(deps, "payments")).toMatchObject({ ok: false, problem: "unknown", query: "payments", matches: [] });
    expect(await resolveAccount(deps, "44445555666")).toMatchObject({ ok: false, problem: "unknown" });
  });

  test("a member account's target reads through that account's clients", async () => {
    const r = await resolveAccount(deps, PAYMENTS);
    if (!r.ok) throw new Error("not resolved");
    await expect(r.target.iam.send(new GetAccountPasswordPolicyCommand({}))).rejects.toThrow("payments");
  });

  test("an ARN's account: watched, own, not watched, or no account at all", async () => {
    expect(accountOfArn(`arn:aws-us-gov:iam::${PAYMENTS}:user/eng/alice`)).toBe(PAYMENTS);
    expect(accountOfArn("arn:aws:iam::aws:policy/ReadOnlyAccess")).toBeNull();
    expect(await resolveArnAccount(deps, `arn:aws:iam::${PAYMENTS}:user/alice`)).toMatchObject({ ok: true, target: { id: PAYMENTS } });
    expect(await resolveArnAccount(deps, `arn:aws:iam::${ACCOUNT_ID}:user/alice`)).toMatchObject({ ok: true, target: { own: true } });
    expect(await resolveArnAccount(deps, "arn:aws:iam::999988887777:user/alice")).toEqual({ ok: false, problem: "not-watched", query: "999988887777", matches: [] });
    expect(await resolveArnAccount(deps, "arn:aws:iam::nope:user/alice")).toBeNull();
  });

  test("without many accounts the own account is the only one, by its STS id", async () => {
    expect(await resolveAccount(h.deps, ACCOUNT_ID)).toMatchObject({ ok: true, target: { id: ACCOUNT_ID, name: "own account", own: true } });
    expect(await resolveArnAccount(h.deps, `arn:aws:iam::${PAYMENTS}:user/alice`)).toMatchObject({ ok: false, problem: "not-watched" });
  });

  test("an audit-finding request runs in the account its stored plan records; older plans in the own account", async () => {
    const member = await remediationDepsForRequest(deps, { alertEventId: null, plan: { accountId: PAYMENTS } });
    expect(member.botIdentity?.accountId).toBe(PAYMENTS);
    await expect(member.iam.send(new GetAccountPasswordPolicyCommand({}))).rejects.toThrow("payments");
    const older = await remediationDepsForRequest(deps, { alertEventId: null, plan: {} });
    expect(older.iam).toBe(deps.iam);
    await expect(remediationDepsForRequest(deps, { alertEventId: null, plan: { accountId: "999988887777" } })).rejects.toThrow("is not among the accounts trailwatch watches");
  });

  test("a stored report of an account no longer watched: its finding is refused, not planned in the own account", async () => {
    const reportId = await h.store.saveAuditReport(new Date(), auditReport([auditFinding({ id: "password-policy:missing", remediation: { id: "enforce-password-policy", params: {} } })], { accountId: "999988887777" }));
    const r = await requestFindingRemediation(deps, ports, { user: RESPONDER, channel: CHANNEL, ref: { report: reportId, finding: "password-policy:missing" } });
    expect(r).toEqual({ kind: "planning_failed" });
    expect((await recorded(h.store))[0]).toMatchObject({ result: "error", detail: { accountId: "999988887777", reason: "planning failed" } });
  });
});

describe("a finding of a member account's report is remediated in that account (moto)", () => {
  const moto = useMoto();
  const saved: Record<string, string | undefined> = {};
  const ENV = ["AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"];
  let h: Harness;

  beforeAll(() => {
    for (const k of ENV) saved[k] = process.env[k];
    // The registry's assumed-role clients (and the STS client inside fromTemporaryCredentials) find moto as every
    // client finds its endpoint; the default chain's credentials are moto's test key.
    process.env.AWS_ENDPOINT_URL = moto.get().endpoint;
    process.env.AWS_ACCESS_KEY_ID = TEST_CREDENTIALS.accessKeyId;
    process.env.AWS_SECRET_ACCESS_KEY = TEST_CREDENTIALS.secretAccessKey;
    process.env.AWS_REGION = "us-east-1";
  });
  afterAll(() => {
    for (const k of ENV) {
      if (saved[k] === undefined) Reflect.deleteProperty(process.env, k);
      else process.env[k] = saved[k];
    }
  });
  afterEach(async () => {
    await h.store.close();
  });

  /** Service deps over moto: the own account's clients, and a registry (built after moto's reset) watching PAYMENTS. */
  async function motoDeps(): Promise<{ deps: ServiceDeps; registry: AccountRegistry }> {
    const m = moto.get();
    h = await listenerHarness({ iam: m.iam(), cloudtrail: m.cloudtrail() });
    const registry = new AccountRegistry({
      config: { source: "file", path: "accounts.yaml", includeOwnAccount: true, entries: [{ id: PAYMENTS, name: "payments-prod", roleArn: `arn:aws:iam::${PAYMENTS}:role/trailwatch` }] },
      region: "us-east-1",
      cloudTrailRegion: "us-east-1",
      own: { iam: m.iam(), cloudtrail: m.cloudtrail(), sts: m.sts(), botIdentity: h.deps.botIdentity },
      logger: createLogger("silent"),
    });
    await registry.load();
    return { deps: { ...h.deps, accounts: registry }, registry };
  }

  /** The account's minimum password length, or "none" without a password policy. */
  async function passwordPolicyOf(iam: IAMClient): Promise<number | "none" | null> {
    try {
      return (await iam.send(new GetAccountPasswordPolicyCommand({}))).PasswordPolicy?.MinimumPasswordLength ?? null;
    } catch (err) {
      if (err instanceof Error && /^NoSuchEntity/.test(err.name)) return "none";
      throw err;
    }
  }

  test("report payments-prod → Remediate → approve: the password policy is set in payments-prod, the own account untouched", async () => {
    const { deps, registry } = await motoDeps();
    expect(MOTO_ACCOUNT_ID).toBe(ACCOUNT_ID);
    const memberIam = registry.clientsFor(PAYMENTS).iam;
    expect(await passwordPolicyOf(memberIam)).toBe("none");
    expect(await passwordPolicyOf(moto.get().iam())).toBe("none");

    const chosen = await resolveAccount(deps, "payments-prod");
    if (!chosen.ok) throw new Error("payments-prod not resolved");
    const { report, reportId } = await postureReport(deps, chosen.target);
    expect(report).toMatchObject({ accountId: PAYMENTS, accountName: "payments-prod" });
    const finding = report.findings.find((f) => f.remediation?.id === "enforce-password-policy");
    expect(finding).toBeDefined();
    expect(reportId).not.toBeNull();

    const requested = await requestFindingRemediation(deps, ports, { user: RESPONDER, channel: CHANNEL, ref: { report: reportId ?? -1, finding: finding?.id ?? "" } });
    if (requested.kind !== "ok") throw new Error(`request: ${requested.kind}`);
    expect(requested.request.plan).toMatchObject({ accountId: PAYMENTS, applicable: true });
    expect(requested.request.plan.bindings).toContainEqual(expect.objectContaining({ kind: "account", expected: { AccountId: PAYMENTS } }));

    const approved = await approveRemediation(deps, ports, { user: APPROVER, requestId: requested.request.id, via: "button", adminConfirmed: false });
    expect(approved).toMatchObject({ kind: "executed", refused: false, result: { ok: true } });
    expect(await passwordPolicyOf(memberIam)).toBe(deps.config.passwordPolicy.minimumPasswordLength);
    expect(await passwordPolicyOf(moto.get().iam())).toBe("none");
  }, 60_000);

  test("the own account's report is remediated in the own account, payments-prod untouched", async () => {
    const { deps, registry } = await motoDeps();
    const { report, reportId } = await postureReport(deps);
    expect(report.accountId).toBe(ACCOUNT_ID);
    const finding = report.findings.find((f) => f.remediation?.id === "enforce-password-policy");
    const requested = await requestFindingRemediation(deps, ports, { user: RESPONDER, channel: CHANNEL, ref: { report: reportId ?? -1, finding: finding?.id ?? "" } });
    if (requested.kind !== "ok") throw new Error(`request: ${requested.kind}`);
    expect(await approveRemediation(deps, ports, { user: APPROVER, requestId: requested.request.id, via: "button", adminConfirmed: false })).toMatchObject({ kind: "executed", result: { ok: true } });
    expect(await passwordPolicyOf(moto.get().iam())).toBe(deps.config.passwordPolicy.minimumPasswordLength);
    expect(await passwordPolicyOf(registry.clientsFor(PAYMENTS).iam)).toBe("none");
  }, 60_000);
});
