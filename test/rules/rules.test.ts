import { mkdtempSync, readFileSync, renameSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { normalizeRecord } from "../../src/cloudtrail/normalize.js";
import { decide } from "../../src/detect/index.js";
import type { NoiseSettings } from "../../src/detect/noise.js";
import type { IamEvent } from "../../src/domain.js";
import { applyRules, effectiveRules, parseRules, Rules, RulesFileError, type RuleSpec } from "../../src/rules/index.js";
import { ALICE, ASSUMED_DEPLOYER, iamRecord, type RecordOptions } from "../support/records.js";

const none: NoiseSettings = { muteEvents: [], mutePrincipals: [], minSeverity: "low" };

function ev(o: Partial<RecordOptions> & { sourceIp?: string; account?: string } = {}): IamEvent {
  const r = iamRecord({ eventName: "DeleteRole", requestParameters: { roleName: "app-role" }, ...o });
  if (o.sourceIp !== undefined) r.sourceIPAddress = o.sourceIp;
  if (o.account !== undefined) r.recipientAccountId = o.account;
  return normalizeRecord(r);
}

function run(rules: RuleSpec[], e: IamEvent, noise = none) {
  const d = decide(e);
  if (!d.alert) throw new Error("not an alert");
  return applyRules(e, d, effectiveRules(noise, rules));
}

function problems(text: string): string[] {
  try {
    parseRules(text, "rules.yml");
  } catch (err) {
    if (err instanceof RulesFileError) return err.message.split("\n");
    throw err;
  }
  throw new Error("expected the file to be rejected");
}

describe("rules file parsing", () => {
  test("a valid file gives the rules in order, single values becoming lists", () => {
    const specs = parseRules(
      `rules:
  - name: scanner
    match:
      actor: { type: AssumedRole, role: security-scanner }
      errorCode: AccessDenied
    suppress: true
  - name: platform team
    match:
      events: [DeleteRole, DeleteInstanceProfile]
      account: "123456789012"
      sourceIp: [10.0.0.0/8, "2001:db8::/32"]
    route: C0PLATFORM
    severity: critical
    mention: S0PLATFORM
`,
      "rules.yml",
    );
    expect(specs).toEqual([
      { name: "scanner", match: { actor: [{ type: "AssumedRole", role: "security-scanner" }], errorCode: ["AccessDenied"] }, suppress: true },
      {
        name: "platform team",
        match: { events: ["DeleteRole", "DeleteInstanceProfile"], account: ["123456789012"], sourceIp: ["10.0.0.0/8", "2001:db8::/32"] },
        route: "C0PLATFORM",
        severity: "critical",
        mention: "S0PLATFORM",
      },
    ]);
  });

  test("errors name the file, the line and the field", () => {
    const lines = problems(`rules:
  - name: ok
    suppress: true
  - name: bad
    match:
      events: [DeleteRole, DeleteBucket]
      sourceIp: 10.0.0.0/33
      account: 123
      colour: red
    route: general
  - name: ok
    route: C0TEAM
  - match: {}
    severity: urgent
`);
    expect(lines).toEqual([
      'rules.yml:6: rules[1].match.events[1]: "DeleteBucket" is not one of the 30 IAM deletion event names',
      'rules.yml:7: rules[1].match.sourceIp[0]: "10.0.0.0/33" is not an IPv4 or IPv6 address or CIDR',
      "rules.yml:8: rules[1].match.account[0]: must be a 12-digit AWS account id (quote it in YAML)",
      "rules.yml:9: rules[1].match.colour: unknown key (allowed: events, actor, resource, errorCode, account, sourceIp, userAgent, outcome, severity)",
      "rules.yml:10: rules[1].route: must be a Slack channel id such as C0123456789",
      expect.stringMatching(/^rules\.yml:13: rules\[3\]\.name: /),
      "rules.yml:14: rules[3].severity: must be one of critical, high, medium, low",
    ]);
  });

  test("a rule needs an action, suppress stands alone, names are unique", () => {
    expect(problems("rules:\n  - name: a\n    match: { events: DeleteRole }\n")).toEqual(["rules.yml:2: rules[0]: needs an action: suppress, route, severity or mention"]);
    expect(problems("rules:\n  - name: a\n    suppress: true\n    route: C0X\n")).toEqual(["rules.yml:3: rules[0].suppress: suppress cannot be combined with route, severity or mention"]);
    expect(problems("rules:\n  - name: a\n    suppress: true\n  - name: a\n    severity: low\n")).toEqual(["rules.yml:4: rules[1].name: duplicate rule name (also rules[0])"]);
  });

  test("YAML syntax errors and wrong shapes are reported with their line", () => {
    expect(problems("rules:\n  - name: a\n    suppress: [true\n")[0]).toMatch(/^rules\.yml:\d+: YAML syntax: /);
    expect(problems("rule:\n  - name: a\n")).toEqual(["rules.yml:1: rules: is required: a list of rules", "rules.yml:1: rule: unknown top-level key (only rules is allowed)"]);
    expect(problems("rules:\n  - name: a\n    suppress: true\n    match:\n      actor: { kind: Root }\n")[0]).toMatch(/^rules\.yml:5: rules\[0\]\.match\.actor\[0\]/);
  });
});

describe("matching and precedence", () => {
  test("first matching rule wins, and the decision carries its name, route, mention and severity", () => {
    const rules: RuleSpec[] = [
      { name: "first", match: { events: ["DeleteRole"] }, route: "C0FIRST", mention: "S0TEAM", severity: "critical" },
      { name: "second", match: {}, suppress: true },
    ];
    const out = run(rules, ev());
    expect(out).toMatchObject({ rule: "first", route: "C0FIRST", mention: "S0TEAM", severity: "critical", detectedSeverity: "high", suppressed: false });
    expect(out.severityReason).toMatch(/set to critical by rule first; detected high/);
    expect(run(rules, ev({ eventName: "DeleteUser" }))).toMatchObject({ rule: "second", suppressed: true, suppressedReason: "rule second: every event" });
  });

  test("no rule: the detected decision stands", () => {
    expect(run([{ name: "x", match: { events: ["DeleteUser"] }, suppress: true }], ev())).toEqual({
      severity: "high",
      detectedSeverity: "high",
      severityReason: expect.any(String) as string,
      suppressed: false,
    });
  });

  test("every condition of a rule must hold", () => {
    const rule: RuleSpec = { name: "r", match: { events: ["DeleteRole"], errorCode: ["AccessDenied"] }, suppress: true };
    expect(run([rule], ev({ errorCode: "AccessDenied" })).suppressed).toBe(true);
    expect(run([rule], ev()).suppressed).toBe(false);
  });

  test("errorCode present, absent and equal", () => {
    const r = (errorCode: string[]): RuleSpec[] => [{ name: "r", match: { errorCode }, suppress: true }];
    expect(run(r(["present"]), ev({ errorCode: "NoSuchEntity" })).suppressed).toBe(true);
    expect(run(r(["present"]), ev()).suppressed).toBe(false);
    expect(run(r(["absent"]), ev()).suppressed).toBe(true);
    expect(run(r(["absent"]), ev({ errorCode: "NoSuchEntity" })).suppressed).toBe(false);
    expect(run(r(["AccessDenied"]), ev({ errorCode: "AccessDenied" })).suppressed).toBe(true);
    expect(run(r(["AccessDenied"]), ev({ errorCode: "NoSuchEntity" })).suppressed).toBe(false);
  });

  test("source IP CIDR, IPv4 and IPv6; a hostname never matches", () => {
    const r: RuleSpec[] = [{ name: "vpn", match: { sourceIp: ["10.1.0.0/16", "2001:db8::/32", "192.0.2.7"] }, suppress: true }];
    expect(run(r, ev({ sourceIp: "10.1.200.3" })).suppressed).toBe(true);
    expect(run(r, ev({ sourceIp: "10.2.0.1" })).suppressed).toBe(false);
    expect(run(r, ev({ sourceIp: "2001:db8:1::5" })).suppressed).toBe(true);
    expect(run(r, ev({ sourceIp: "2001:db9::5" })).suppressed).toBe(false);
    expect(run(r, ev({ sourceIp: "192.0.2.7" })).suppressed).toBe(true);
    expect(run(r, ev({ sourceIp: "192.0.2.8" })).suppressed).toBe(false);
    expect(run(r, ev({ sourceIp: "iam.amazonaws.com" })).suppressed).toBe(false);
  });

  test("account, user agent, resource and outcome", () => {
    expect(run([{ name: "a", match: { account: ["123456789012"] }, suppress: true }], ev()).suppressed).toBe(true);
    expect(run([{ name: "a", match: { account: ["999999999999"] }, suppress: true }], ev()).suppressed).toBe(false);
    expect(run([{ name: "ua", match: { userAgent: ["*Terraform/*"] }, suppress: true }], ev({ userAgent: "APN/1.0 HashiCorp/1.0 Terraform/1.7.0" })).suppressed).toBe(true);
    expect(run([{ name: "ua", match: { userAgent: ["*Terraform/*"] }, suppress: true }], ev()).suppressed).toBe(false);
    expect(run([{ name: "res", match: { resource: ["app-*"] }, suppress: true }], ev()).suppressed).toBe(true);
    expect(run([{ name: "res", match: { resource: ["db-*"] }, suppress: true }], ev()).suppressed).toBe(false);
    // A resource glob's * does not cross "/" either: a policy ARN with a path needs **.
    const detach = ev({ eventName: "DetachRolePolicy", requestParameters: { roleName: "r", policyArn: "arn:aws:iam::aws:policy/service-role/X" } });
    expect(run([{ name: "p", match: { resource: ["arn:aws:iam::aws:policy/*"] }, suppress: true }], detach).suppressed).toBe(false);
    expect(run([{ name: "p", match: { resource: ["arn:aws:iam::aws:policy/**"] }, suppress: true }], detach).suppressed).toBe(true);
    expect(run([{ name: "o", match: { outcome: ["denied"] }, suppress: true }], ev({ errorCode: "AccessDenied" })).suppressed).toBe(true);
  });

  test("actor: safe ARN glob or parsed principal, against hostile paths", () => {
    const hostile = ev({ identity: { ...ALICE, arn: "arn:aws:iam::123456789012:user/:role/deployer", userName: "deployer" } });
    const real = ev({ identity: ASSUMED_DEPLOYER });
    const byArn: RuleSpec[] = [{ name: "ci", match: { actor: ["arn:aws:iam::*:role/deployer"] }, suppress: true }];
    const byRole: RuleSpec[] = [{ name: "ci", match: { actor: [{ type: "AssumedRole", role: "deployer" }] }, suppress: true }];
    const byRoleName: RuleSpec[] = [{ name: "ci", match: { actor: [{ role: "deployer" }] }, suppress: true }];
    for (const rules of [byArn, byRole, byRoleName]) {
      expect(run(rules, real).suppressed).toBe(true);
      expect(run(rules, hostile).suppressed).toBe(false);
    }
    expect(run([{ name: "u", match: { actor: [{ type: "IAMUser", user: "deployer", path: "/" }] }, suppress: true }], hostile).suppressed).toBe(false);
    expect(run([{ name: "u", match: { actor: [{ type: "IAMUser", user: "deployer", path: "/:role/" }] }, suppress: true }], hostile).suppressed).toBe(true);
  });
});

describe("MUTE_* shorthand", () => {
  test("MUTE_EVENTS and MUTE_PRINCIPALS win over file rules; MIN_SEVERITY applies after them", () => {
    const file: RuleSpec[] = [{ name: "raise", match: { events: ["DeleteAccessKey"] }, severity: "high" }];
    const key = ev({ eventName: "DeleteAccessKey", requestParameters: { userName: "u", accessKeyId: "AKIA1" } });
    expect(run(file, key, { ...none, muteEvents: ["DeleteAccessKey"] })).toMatchObject({ rule: "MUTE_EVENTS", suppressed: true });
    expect(run(file, ev({ identity: ASSUMED_DEPLOYER }), { ...none, mutePrincipals: ["arn:aws:iam::*:role/deployer"] })).toMatchObject({
      rule: "MUTE_PRINCIPALS",
      suppressed: true,
    });
    // The file rule raised it to high: MIN_SEVERITY high does not hide what a rule took.
    expect(run(file, key, { ...none, minSeverity: "high" })).toMatchObject({ rule: "raise", suppressed: false, severity: "high" });
    expect(run([], key, { ...none, minSeverity: "high" })).toMatchObject({ rule: "MIN_SEVERITY", suppressed: true });
  });
});

describe("reload", () => {
  test("a valid change replaces the rules; an invalid one is kept out and the old rules stay", () => {
    const dir = mkdtempSync(join(tmpdir(), "tw-rules-"));
    const path = join(dir, "rules.yml");
    writeFileSync(path, "rules:\n  - name: one\n    suppress: true\n");
    const logs: { obj: unknown; msg: string }[] = [];
    const logger = { info: (obj: unknown, msg: string) => logs.push({ obj, msg }), error: (obj: unknown, msg: string) => logs.push({ obj, msg }), warn: () => {} };
    const rules = new Rules(none, path, logger as never);
    expect(rules.current().rules.map((r) => r.spec.name)).toEqual(["one"]);

    writeFileSync(path, "rules:\n  - name: two\n    severity: bogus\n");
    expect(rules.reload("test")).toEqual({ ok: false, problems: [`${path}:3: rules[0].severity: must be one of critical, high, medium, low`] });
    expect(rules.current().rules.map((r) => r.spec.name)).toEqual(["one"]);
    expect(logs.at(-1)?.msg).toMatch(/rejected; the previous rules stay/);

    // Editors replace the file by renaming a new one over it.
    writeFileSync(join(dir, "new.yml"), "rules:\n  - name: three\n    route: C0THREE\n");
    renameSync(join(dir, "new.yml"), path);
    expect(rules.reload("test")).toEqual({ ok: true, rules: 1 });
    expect(rules.current().rules.map((r) => r.spec.name)).toEqual(["three"]);
  });

  test("the watcher reloads when the file changes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tw-rules-"));
    const path = join(dir, "rules.yml");
    writeFileSync(path, "rules:\n  - name: one\n    suppress: true\n");
    const rules = new Rules(none, path);
    rules.watch(20);
    try {
      writeFileSync(path, "rules:\n  - name: two\n    suppress: true\n");
      const deadline = Date.now() + 10_000;
      while (rules.current().rules[0]?.spec.name !== "two" && Date.now() < deadline) await new Promise((r) => setTimeout(r, 25));
      expect(rules.current().rules.map((r) => r.spec.name)).toEqual(["two"]);
    } finally {
      rules.close();
    }
  });

  test("an invalid file at start-up throws RulesFileError naming the file", () => {
    const dir = mkdtempSync(join(tmpdir(), "tw-rules-"));
    const path = join(dir, "rules.yml");
    writeFileSync(path, "rules:\n  - name: x\n");
    expect(() => new Rules(none, path)).toThrow(RulesFileError);
    expect(() => new Rules(none, join(dir, "missing.yml"))).toThrow(/missing\.yml: cannot be read \(ENOENT\)/);
  });
});

test("rules.example.yml is valid", () => {
  const specs = parseRules(readFileSync(join(import.meta.dirname, "../../rules.example.yml"), "utf8"), "rules.example.yml");
  expect(specs.map((s) => s.name)).toEqual(["security scanner probes", "terraform in CI", "MFA removal anywhere", "production account to the prod channel"]);
});
