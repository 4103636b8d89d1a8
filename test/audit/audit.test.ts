// runAudit against a real moto_server. moto creates everything "now", so age logic is exercised by
// injecting a `now` far in the future. Gaps in moto (root MFA fixed at 0, an always-ready credential
// report, ListUsers never truncated) are covered by a protocol-faithful proxy in front of moto.
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { UpdateAccessKeyCommand, UpdateAccountPasswordPolicyCommand } from "@aws-sdk/client-iam";
import { DEFAULT_PASSWORD_POLICY } from "../../src/domain.js";
import { runAudit, type AuditDeps, type AuditFinding, type AuditReport } from "../../src/audit/index.js";
import { startMoto, type Moto } from "../support/moto.js";
import { iamError, iamResult, pagedListUsers, setSummaryValue, startAwsProxy, type AwsProxy } from "./support/aws-proxy.js";
import { createKey, createTrail, createUser, setPasswordPolicy } from "./support/seed.js";

const DAY = 86_400_000;
let moto: Moto;
let proxy: AwsProxy;

beforeAll(async () => {
  moto = await startMoto();
  proxy = await startAwsProxy(moto.endpoint);
});
afterAll(async () => {
  await (proxy as AwsProxy | undefined)?.stop(); // unset when beforeAll failed
  await (moto as Moto | undefined)?.stop();
});
beforeEach(async () => {
  await moto.reset();
  proxy.clear();
});
afterEach(() => {
  proxy.clear();
});

function noSleep(log: number[] = []): (ms: number) => Promise<void> {
  return (ms) => {
    log.push(ms);
    return Promise.resolve();
  };
}

/** Direct to moto. */
function depsDirect(extra: Partial<AuditDeps> = {}): AuditDeps {
  return { iam: moto.iam(), cloudtrail: moto.cloudtrail(), baseline: DEFAULT_PASSWORD_POLICY, sleep: noSleep(), ...extra };
}

/** Through the proxy. */
function depsProxied(extra: Partial<AuditDeps> = {}): AuditDeps {
  return { iam: proxy.iam(), cloudtrail: proxy.cloudtrail(), baseline: DEFAULT_PASSWORD_POLICY, sleep: noSleep(), ...extra };
}

/** moto cannot give the root user MFA; make GetAccountSummary say it has. */
function rootHasMfa(): void {
  proxy.on("GetAccountSummary", async (_call, forward) => {
    const r = await forward();
    return { ...r, body: setSummaryValue(r.body, "AccountMFAEnabled", 1) };
  });
}

function ids(report: AuditReport | { findings: AuditFinding[] }): string[] {
  return report.findings.map((f) => f.id);
}

function byId(report: AuditReport, id: string): AuditFinding {
  const f = report.findings.find((x) => x.id === id);
  if (!f) throw new Error(`no finding ${id}; have ${ids(report).join(", ")}`);
  return f;
}

async function seedHealthy(): Promise<void> {
  const iam = moto.iam();
  await setPasswordPolicy(iam);
  await createUser(iam, "alice", { password: true, mfa: true });
  await createUser(iam, "bob", { password: true, mfa: true, path: "/eng/" });
  await createUser(iam, "ci-deployer");
  await createKey(iam, "ci-deployer", moto.endpoint, true);
  await createTrail(moto.cloudtrail(), moto.endpoint, "org-audit", { multiRegion: true, logging: true });
  await createTrail(moto.cloudtrail(), moto.endpoint, "app-eu", { multiRegion: false, logging: true });
}

describe("runAudit", () => {
  test("a weak account: every weakness is found, named, and offers its remediation", async () => {
    const iam = moto.iam();
    await createUser(iam, "alice", { password: true }); // console, no MFA
    await createUser(iam, "dave", { password: true, mfa: true }); // fine
    await createUser(iam, "bob");
    const bobKey = await createKey(iam, "bob", moto.endpoint); // never used
    await createUser(iam, "carol");
    const carolKey = await createKey(iam, "carol", moto.endpoint, true); // used once, at creation
    const inactiveKey = await createKey(iam, "carol", moto.endpoint);
    await iam.send(new UpdateAccessKeyCommand({ UserName: "carol", AccessKeyId: inactiveKey, Status: "Inactive" }));
    const trailArn = await createTrail(moto.cloudtrail(), moto.endpoint, "main-trail", { multiRegion: true, logging: false });

    const now = new Date(Date.now() + 200 * DAY);
    const report = await runAudit(depsDirect({ now: () => now }));

    expect(report.errors).toEqual([]);
    expect(report.clean).toBe(false);
    expect(report.generatedAt).toEqual(now);
    expect(report.checksRun).toEqual(["password-policy", "root-account", "console-users-mfa", "access-keys", "cloudtrail"]);
    expect(new Set(ids(report))).toEqual(
      new Set([
        "password-policy:missing",
        "root-no-mfa", // moto always reports AccountMFAEnabled = 0
        "user-no-mfa:alice",
        `access-key-unused:${bobKey}`,
        `access-key-unused:${carolKey}`,
        `trail-not-logging:${trailArn}`,
        "cloudtrail:no-multi-region-logging",
      ]),
    );

    const policy = byId(report, "password-policy:missing");
    expect(policy).toMatchObject({
      check: "password-policy",
      severity: "high",
      title: "No account password policy",
      remediation: { id: "enforce-password-policy", params: {} },
    });
    expect(policy.detail).toContain("minimum length 14");

    const alice = byId(report, "user-no-mfa:alice");
    expect(alice).toMatchObject({ check: "console-users-mfa", severity: "high", resource: { type: "user", name: "alice" } });
    expect(alice.title).toContain("alice");

    const bob = byId(report, `access-key-unused:${bobKey}`);
    expect(bob).toMatchObject({
      check: "access-keys",
      severity: "medium",
      resource: { type: "access-key", name: bobKey },
      remediation: { id: "deactivate-access-key", params: { userName: "bob", accessKeyId: bobKey } },
    });
    expect(bob.title).toContain(bobKey);
    expect(bob.title).toContain("bob");
    expect(bob.title).toContain("never been used");
    const carol = byId(report, `access-key-unused:${carolKey}`);
    expect(carol.title).toMatch(/unused for (199|200) days/);
    expect(carol.detail).toContain("by iam");
    expect(carol.remediation).toEqual({ id: "deactivate-access-key", params: { userName: "carol", accessKeyId: carolKey } });

    const trail = byId(report, `trail-not-logging:${trailArn}`);
    expect(trail).toMatchObject({
      check: "cloudtrail",
      severity: "high",
      title: "Trail main-trail is not logging",
      remediation: { id: "start-trail-logging", params: { trailName: trailArn } },
    });
    const noMulti = byId(report, "cloudtrail:no-multi-region-logging");
    expect(noMulti.severity).toBe("critical");
    expect(noMulti.title).toBe("No multi-region trail is logging");

    // Most severe first, then by title.
    const ranks = { critical: 4, high: 3, medium: 2, low: 1 } as const;
    for (let i = 1; i < report.findings.length; i++) {
      const a = report.findings[i - 1]!;
      const b = report.findings[i]!;
      expect(ranks[a.severity] > ranks[b.severity] || (a.severity === b.severity && a.title <= b.title)).toBe(true);
    }
    expect(report.findings.slice(0, 2).map((f) => f.title)).toEqual(["No multi-region trail is logging", "Root user has no MFA"]);
  });

  test("fresh keys: never-used keys get a 7-day grace period, used keys are fine until 90 days", async () => {
    const iam = moto.iam();
    await createUser(iam, "bob");
    const neverUsed = await createKey(iam, "bob", moto.endpoint);
    await createUser(iam, "carol");
    const used = await createKey(iam, "carol", moto.endpoint, true);

    const at = async (days: number): Promise<string[]> => {
      const now = new Date(Date.now() + days * DAY);
      const r = await runAudit(depsDirect({ now: () => now }));
      return r.findings.filter((f) => f.check === "access-keys").map((f) => f.id);
    };
    expect(await at(0)).toEqual([]);
    expect(await at(6)).toEqual([]);
    expect(await at(8)).toEqual([`access-key-unused:${neverUsed}`]);
    expect(await at(89)).toEqual([`access-key-unused:${neverUsed}`]);
    expect((await at(91)).sort()).toEqual([`access-key-unused:${neverUsed}`, `access-key-unused:${used}`].sort());
  });

  test("a healthy account reports clean", async () => {
    await seedHealthy();
    rootHasMfa();
    const report = await runAudit(depsProxied());
    expect(report.findings).toEqual([]);
    expect(report.errors).toEqual([]);
    expect(report.clean).toBe(true);
    expect(report.checksRun).toHaveLength(5);
  });

  test("a weak password policy reports each weak setting", async () => {
    const iam = moto.iam();
    await iam.send(
      new UpdateAccountPasswordPolicyCommand({
        MinimumPasswordLength: 8,
        RequireUppercaseCharacters: true,
        RequireNumbers: true,
        PasswordReusePrevention: 5,
        MaxPasswordAge: 180,
      }),
    );
    const report = await runAudit(depsDirect());
    const policy = report.findings.filter((f) => f.check === "password-policy");
    expect(policy.map((f) => f.id).sort()).toEqual(
      [
        "password-policy:allow-change",
        "password-policy:max-age",
        "password-policy:min-length",
        "password-policy:require-lowercase",
        "password-policy:require-symbols",
        "password-policy:reuse-prevention",
      ].sort(),
    );
    for (const f of policy) {
      expect(f.remediation).toEqual({ id: "enforce-password-policy", params: {} });
      expect(f.resource).toEqual({ type: "password-policy", name: "account password policy" });
    }
    expect(policy.find((f) => f.id === "password-policy:min-length")?.title).toBe(
      "Password minimum length is 8 (recommended 14 or more)",
    );
    expect(policy.find((f) => f.id === "password-policy:max-age")?.title).toBe(
      "Passwords expire after 180 days (recommended 90 or less)",
    );
    expect(policy.find((f) => f.id === "password-policy:reuse-prevention")?.detail).toContain("PasswordReusePrevention to 24");
  });

  test("a password policy without expiry is weaker when the baseline has a max age, not otherwise", async () => {
    await setPasswordPolicy(moto.iam(), { ...DEFAULT_PASSWORD_POLICY, maxPasswordAgeDays: 0 });
    const withAge = await runAudit(depsDirect());
    expect(ids(withAge).filter((i) => i.startsWith("password-policy:"))).toEqual(["password-policy:max-age"]);
    expect(withAge.findings.find((f) => f.id === "password-policy:max-age")?.title).toBe(
      "Passwords never expire (recommended: expire after 90 days)",
    );
    const noAge = await runAudit(depsDirect({ baseline: { ...DEFAULT_PASSWORD_POLICY, maxPasswordAgeDays: 0 } }));
    expect(ids(noAge).filter((i) => i.startsWith("password-policy:"))).toEqual([]);
  });

  test("AccessDenied on the credential report is reported with the missing permission; other checks still run", async () => {
    await createUser(moto.iam(), "alice", { password: true });
    await createTrail(moto.cloudtrail(), moto.endpoint, "main-trail", { multiRegion: true, logging: false });
    proxy.deny("GenerateCredentialReport");
    const report = await runAudit(depsProxied());
    expect(report.errors).toEqual([
      {
        check: "console-users-mfa",
        api: "GenerateCredentialReport",
        errorName: "AccessDenied",
        message: expect.stringContaining("not authorized to perform: iam:GenerateCredentialReport"),
        missingPermission: "iam:GenerateCredentialReport",
      },
    ]);
    expect(report.clean).toBe(false);
    expect(ids(report)).not.toContain("user-no-mfa:alice");
    expect(ids(report)).toEqual(
      expect.arrayContaining(["password-policy:missing", "root-no-mfa", "cloudtrail:no-multi-region-logging"]),
    );
  });

  test("AccessDenied from CloudTrail (JSON protocol, no permission in the message) names cloudtrail:DescribeTrails", async () => {
    proxy.deny("DescribeTrails", "Access denied.");
    const report = await runAudit(depsProxied());
    expect(report.errors).toEqual([
      {
        check: "cloudtrail",
        api: "DescribeTrails",
        errorName: "AccessDeniedException",
        message: "Access denied.",
        missingPermission: "cloudtrail:DescribeTrails",
      },
    ]);
    expect(ids(report)).toContain("password-policy:missing");
    expect(report.findings.some((f) => f.check === "cloudtrail")).toBe(false);
  });

  test("denials repeated per user are reported once; a key whose last use is unreadable is judged on age only", async () => {
    const iam = moto.iam();
    await createUser(iam, "bob");
    const bobKey = await createKey(iam, "bob", moto.endpoint);
    await createUser(iam, "carol");
    const carolKey = await createKey(iam, "carol", moto.endpoint);
    proxy.deny("GetAccessKeyLastUsed");
    const now = new Date(Date.now() + 120 * DAY);
    const report = await runAudit(depsProxied({ now: () => now }));
    expect(report.errors).toHaveLength(1);
    expect(report.errors[0]).toMatchObject({
      check: "access-keys",
      api: "GetAccessKeyLastUsed",
      errorName: "AccessDenied",
      missingPermission: "iam:GetAccessKeyLastUsed",
    });
    const keyFindings = report.findings.filter((f) => f.check === "access-keys");
    expect(keyFindings.map((f) => f.id).sort()).toEqual([`access-key-old:${bobKey}`, `access-key-old:${carolKey}`].sort());
    expect(keyFindings.every((f) => f.severity === "low")).toBe(true);
    expect(keyFindings[0]?.remediation?.id).toBe("deactivate-access-key");
  });

  test("AccessDenied on ListUsers stops only the access-keys check", async () => {
    await createUser(moto.iam(), "alice", { password: true });
    proxy.deny("ListUsers");
    const report = await runAudit(depsProxied());
    expect(report.errors).toEqual([
      expect.objectContaining({ check: "access-keys", api: "ListUsers", missingPermission: "iam:ListUsers" }),
    ]);
    expect(ids(report)).toContain("user-no-mfa:alice");
  });

  test("root user with access keys is critical", async () => {
    await seedHealthy();
    proxy.on("GetAccountSummary", async (_c, forward) => {
      const r = await forward();
      return { ...r, body: setSummaryValue(setSummaryValue(r.body, "AccountMFAEnabled", 1), "AccountAccessKeysPresent", 1) };
    });
    const report = await runAudit(depsProxied());
    expect(report.findings).toEqual([
      expect.objectContaining({
        id: "root-access-keys",
        check: "root-account",
        severity: "critical",
        title: "Root user has access keys",
        resource: { type: "account", name: "root" },
      }),
    ]);
  });

  test("credential report: polls GenerateCredentialReport until COMPLETE and retries ReportInProgress", async () => {
    await createUser(moto.iam(), "alice", { password: true });
    let generateCalls = 0;
    proxy.on("GenerateCredentialReport", async (_c, forward) => {
      generateCalls++;
      if (generateCalls === 1) return iamResult("GenerateCredentialReport", "<State>STARTED</State>");
      if (generateCalls === 2) return iamResult("GenerateCredentialReport", "<State>INPROGRESS</State>");
      return forward();
    });
    let getCalls = 0;
    proxy.on("GetCredentialReport", async (_c, forward) => {
      getCalls++;
      if (getCalls === 1) return iamError("ReportInProgress", "Report is being generated", 404);
      return forward();
    });
    const sleeps: number[] = [];
    const report = await runAudit(depsProxied({ sleep: noSleep(sleeps), credentialReportWaitMs: 10_000 }));
    expect(report.errors).toEqual([]);
    expect(ids(report)).toContain("user-no-mfa:alice");
    // STARTED, INPROGRESS (proxy), then moto's own STARTED (its first call), COMPLETE; Get says
    // ReportInProgress once; one more Generate (COMPLETE) and Get. Backoff doubles up to 4 s.
    expect(generateCalls).toBe(5);
    expect(getCalls).toBe(2);
    expect(sleeps).toEqual([500, 1000, 2000, 4000]);
  });

  test("credential report: gives up after credentialReportWaitMs and records ReportInProgress", async () => {
    await createUser(moto.iam(), "alice", { password: true });
    proxy.on("GenerateCredentialReport", () => iamResult("GenerateCredentialReport", "<State>INPROGRESS</State>"));
    const sleeps: number[] = [];
    const report = await runAudit(depsProxied({ sleep: noSleep(sleeps), credentialReportWaitMs: 3000 }));
    expect(sleeps.reduce((a, b) => a + b, 0)).toBe(3000);
    expect(report.errors).toEqual([
      expect.objectContaining({ check: "console-users-mfa", api: "GetCredentialReport", errorName: "ReportInProgress" }),
    ]);
    expect(report.errors[0]?.missingPermission).toBeUndefined();
    expect(ids(report)).toContain("password-policy:missing");
  });

  test("credential report: a ReportExpired report is regenerated", async () => {
    await createUser(moto.iam(), "alice", { password: true });
    let getCalls = 0;
    proxy.on("GetCredentialReport", async (_c, forward) => {
      getCalls++;
      if (getCalls === 1) return iamError("ReportExpired", "Report expired", 410);
      return forward();
    });
    const report = await runAudit(depsProxied());
    expect(report.errors).toEqual([]);
    expect(ids(report)).toContain("user-no-mfa:alice");
    // moto: STARTED then COMPLETE; after ReportExpired, Generate again (COMPLETE) and Get.
    expect(proxy.calls.filter((c) => c.action === "GenerateCredentialReport")).toHaveLength(3);
    expect(proxy.calls.filter((c) => c.action === "GetCredentialReport")).toHaveLength(2);
  });

  test("credential report: the <root_account> row and quoted fields are handled", async () => {
    await createUser(moto.iam(), "alice", { password: true, mfa: true });
    await createUser(moto.iam(), "eve", { password: true });
    proxy.on("GetCredentialReport", async (_c, forward) => {
      const r = await forward();
      const b64 = /<Content>([^<]*)<\/Content>/.exec(r.body)?.[1] ?? "";
      const [header, ...rest] = Buffer.from(b64, "base64").toString("utf8").trimEnd().split("\n");
      const root =
        '<root_account>,"arn:aws:iam::123456789012:root",2020-01-01T00:00:00+00:00,not_supported,2026-01-01T00:00:00+00:00,not_supported,not_supported,false,false,N/A,N/A,N/A,N/A,false,N/A,N/A,N/A,N/A,false,N/A,false,N/A';
      const csv = [header, root, ...rest].join("\r\n") + "\r\n";
      return { ...r, body: r.body.replace(b64, Buffer.from(csv, "utf8").toString("base64")) };
    });
    const report = await runAudit(depsProxied());
    expect(report.findings.filter((f) => f.check === "console-users-mfa").map((f) => f.id)).toEqual(["user-no-mfa:eve"]);
  });

  test("users are paged with Marker/IsTruncated and every page is audited", async () => {
    const iam = moto.iam();
    const keys: string[] = [];
    for (let i = 1; i <= 7; i++) {
      await createUser(iam, `svc-${i}`);
      keys.push(await createKey(iam, `svc-${i}`, moto.endpoint));
    }
    proxy.on("ListUsers", pagedListUsers(3));
    const now = new Date(Date.now() + 30 * DAY);
    const report = await runAudit(depsProxied({ now: () => now }));
    expect(report.errors).toEqual([]);
    const listUsers = proxy.calls.filter((c) => c.action === "ListUsers");
    expect(listUsers.map((c) => c.params["Marker"])).toEqual([undefined, "3", "6"]);
    expect(report.findings.filter((f) => f.check === "access-keys").map((f) => f.id).sort()).toEqual(
      keys.map((k) => `access-key-unused:${k}`).sort(),
    );
  });

  test("cloudtrail: no trails at all is critical; a logging multi-region trail with a stopped regional one is high only", async () => {
    const empty = await runAudit(depsDirect());
    const none = byId(empty, "cloudtrail:no-multi-region-logging");
    expect(none.detail).toContain("no CloudTrail trail");
    expect(none.remediation).toBeUndefined();

    await createTrail(moto.cloudtrail(), moto.endpoint, "org-audit", { multiRegion: true, logging: true });
    const regional = await createTrail(moto.cloudtrail(), moto.endpoint, "app-eu", { multiRegion: false, logging: false });
    const report = await runAudit(depsDirect());
    expect(report.findings.filter((f) => f.check === "cloudtrail")).toEqual([
      expect.objectContaining({
        id: `trail-not-logging:${regional}`,
        severity: "high",
        title: "Trail app-eu is not logging",
        remediation: { id: "start-trail-logging", params: { trailName: regional } },
      }),
    ]);
  });

  test("cloudtrail: only single-region trails logging still lacks a multi-region trail", async () => {
    await createTrail(moto.cloudtrail(), moto.endpoint, "app-us", { multiRegion: false, logging: true });
    const report = await runAudit(depsDirect());
    const f = report.findings.filter((x) => x.check === "cloudtrail");
    expect(f.map((x) => x.id)).toEqual(["cloudtrail:no-multi-region-logging"]);
    expect(f[0]?.detail).toContain("multi-region");
  });
});
