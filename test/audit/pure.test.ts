// The audit's pure parts: CSV and credential report parsing, key age/use rules, password policy
// comparison, ordering, ARN parsing and missing-permission extraction.
import { describe, expect, test } from "vitest";
import { DEFAULT_PASSWORD_POLICY } from "../../src/domain.js";
import {
  comparePasswordPolicy,
  evaluateAccessKey,
  parseCredentialReport,
  parseCsv,
  parseUserRef,
  sortFindings,
  type AccessKeyPosture,
  type AuditFinding,
} from "../../src/audit/index.js";
import { missingPermissionFor, toCheckError } from "../../src/audit/errors.js";

const DAY = 86_400_000;
const NOW = new Date("2026-06-30T12:00:00Z");
const ago = (days: number, extraMs = 0): Date => new Date(NOW.getTime() - days * DAY - extraMs);

describe("CSV", () => {
  test("quoted fields with commas, doubled quotes, newlines; CRLF; BOM; trailing newline", () => {
    const text = '\ufeffa,b,c\r\n"x, y","say ""hi""","line1\nline2"\r\n1,,3\n';
    expect(parseCsv(text)).toEqual([
      ["a", "b", "c"],
      ["x, y", 'say "hi"', "line1\nline2"],
      ["1", "", "3"],
    ]);
    expect(parseCsv("")).toEqual([]);
  });

  test("credential report: root row, N/A / no_information / not_supported, offsets as instants", () => {
    const csv = [
      "user,arn,user_creation_time,password_enabled,password_last_used,password_last_changed,password_next_rotation,mfa_active,access_key_1_active",
      "<root_account>,arn:aws:iam::123456789012:root,2020-01-01T00:00:00+00:00,not_supported,2026-06-01T10:00:00+02:00,not_supported,not_supported,true,false",
      "alice,arn:aws:iam::123456789012:user/alice,2024-03-01T08:00:00+00:00,true,no_information,2024-03-01T08:00:00+00:00,N/A,false,true",
      "bob,arn:aws:iam::123456789012:user/bob,2024-03-01T08:00:00+00:00,false,N/A,N/A,N/A,false,N/A",
    ].join("\n");
    const [root, alice, bob] = parseCredentialReport(csv);
    expect(root).toMatchObject({ user: "<root_account>", isRoot: true, passwordEnabled: null, mfaActive: true });
    expect(root?.passwordLastUsed?.toISOString()).toBe("2026-06-01T08:00:00.000Z");
    expect(alice).toMatchObject({ user: "alice", isRoot: false, passwordEnabled: true, mfaActive: false, passwordLastUsedRaw: "no_information" });
    expect(alice?.passwordLastUsed).toBeUndefined();
    expect(bob).toMatchObject({ passwordEnabled: false, accessKey1Active: null });
  });
});

describe("evaluateAccessKey", () => {
  const key = (k: Partial<AccessKeyPosture>): AccessKeyPosture => ({ accessKeyId: "AKIAEXAMPLE", status: "Active", ...k });
  const ids = (k: AccessKeyPosture, lastUseKnown = true): string[] =>
    evaluateAccessKey("bob", k, NOW, lastUseKnown).map((f) => `${f.id}/${f.severity}`);

  test("unused: 90 days since last use is the threshold", () => {
    expect(ids(key({ created: ago(300), lastUsedDate: ago(90) }))).toEqual(["access-key-unused:AKIAEXAMPLE/medium"]);
    expect(ids(key({ created: ago(80), lastUsedDate: ago(89, DAY - 1) }))).toEqual([]);
  });

  test("never used: 7-day grace period", () => {
    expect(ids(key({ created: ago(6, DAY - 1) }))).toEqual([]);
    expect(ids(key({ created: ago(7) }))).toEqual(["access-key-unused:AKIAEXAMPLE/medium"]);
  });

  test("rotation: older than 90 days is low, older than 365 is medium; recently used", () => {
    expect(ids(key({ created: ago(90), lastUsedDate: ago(1) }))).toEqual([]);
    expect(ids(key({ created: ago(90, 1), lastUsedDate: ago(1) }))).toEqual(["access-key-old:AKIAEXAMPLE/low"]);
    expect(ids(key({ created: ago(366), lastUsedDate: ago(1) }))).toEqual(["access-key-old:AKIAEXAMPLE/medium"]);
    const [f] = evaluateAccessKey("bob", key({ created: ago(120), lastUsedDate: ago(2) }), NOW);
    expect(f?.title).toBe("Access key AKIAEXAMPLE of bob is 120 days old");
    expect(f?.remediation).toEqual({ id: "deactivate-access-key", params: { userName: "bob", accessKeyId: "AKIAEXAMPLE" } });
  });

  test("inactive keys are ignored; unknown last use judges age only", () => {
    expect(ids(key({ status: "Inactive", created: ago(500) }))).toEqual([]);
    expect(ids(key({ created: ago(30) }), false)).toEqual([]);
    expect(ids(key({ created: ago(100) }), false)).toEqual(["access-key-old:AKIAEXAMPLE/low"]);
  });

  test("dates are compared as UTC instants whatever the offset they were written with", () => {
    // 90 days before NOW, written in +14:00: the same instant, so exactly at the threshold.
    const lastUsed = new Date("2026-04-02T02:00:00+14:00");
    expect(lastUsed.getTime()).toBe(ago(90).getTime());
    expect(ids(key({ created: ago(200), lastUsedDate: lastUsed }))).toEqual(["access-key-unused:AKIAEXAMPLE/medium"]);
    const oneMsLater = new Date(lastUsed.getTime() + 1);
    expect(ids(key({ created: ago(80), lastUsedDate: oneMsLater }))).toEqual([]);
  });
});

describe("comparePasswordPolicy", () => {
  test("a policy equal to the baseline has no findings; a stricter one neither", () => {
    const exact = {
      MinimumPasswordLength: 14,
      RequireSymbols: true,
      RequireNumbers: true,
      RequireUppercaseCharacters: true,
      RequireLowercaseCharacters: true,
      AllowUsersToChangePassword: true,
      ExpirePasswords: true,
      MaxPasswordAge: 90,
      PasswordReusePrevention: 24,
    };
    expect(comparePasswordPolicy(exact, DEFAULT_PASSWORD_POLICY)).toEqual([]);
    expect(comparePasswordPolicy({ ...exact, MinimumPasswordLength: 20, MaxPasswordAge: 30 }, DEFAULT_PASSWORD_POLICY)).toEqual([]);
  });

  test("an empty policy is weaker on every setting", () => {
    expect(comparePasswordPolicy({}, DEFAULT_PASSWORD_POLICY).map((f) => f.id)).toEqual([
      "password-policy:min-length",
      "password-policy:reuse-prevention",
      "password-policy:require-uppercase",
      "password-policy:require-lowercase",
      "password-policy:require-numbers",
      "password-policy:require-symbols",
      "password-policy:max-age",
      "password-policy:allow-change",
    ]);
  });
});

test("sortFindings: severity, then title, then id", () => {
  const f = (id: string, severity: AuditFinding["severity"], title: string): AuditFinding => ({
    id,
    check: "access-keys",
    severity,
    title,
    detail: "",
  });
  const sorted = sortFindings([f("4", "low", "a"), f("3", "high", "b"), f("2", "high", "a"), f("1", "critical", "z"), f("0", "high", "a")]);
  expect(sorted.map((x) => x.id)).toEqual(["1", "0", "2", "3", "4"]);
});

test("parseUserRef", () => {
  expect(parseUserRef("alice")).toEqual({ ok: true, userName: "alice" });
  expect(parseUserRef("arn:aws:iam::123456789012:user/alice")).toEqual({
    ok: true,
    userName: "alice",
    arn: "arn:aws:iam::123456789012:user/alice",
  });
  expect(parseUserRef("arn:aws-us-gov:iam::123456789012:user/a/b/svc+ci@x.y")).toMatchObject({ ok: true, userName: "svc+ci@x.y" });
  expect(parseUserRef("arn:aws:iam::123456789012:role/alice")).toEqual({ ok: false, reason: "not-a-user-arn" });
  expect(parseUserRef("arn:aws:sts::123456789012:assumed-role/r/s")).toEqual({ ok: false, reason: "not-a-user-arn" });
  expect(parseUserRef("")).toEqual({ ok: false, reason: "invalid-name" });
});

test("missing permission: from either AWS message format, else service:Operation", () => {
  const err = (message: string, name = "AccessDenied"): Error => Object.assign(new Error(message), { name });
  expect(
    missingPermissionFor("iam", "ListUsers", err("User: arn:aws:iam::1:user/x is not authorized to perform: iam:ListUsers on resource: *")),
  ).toBe("iam:ListUsers");
  expect(
    missingPermissionFor(
      "iam",
      "GenerateCredentialReport",
      err("User: arn:aws:sts::1:assumed-role/r/s is not authorized to perform: iam:GenerateCredentialReport because no identity-based policy allows the iam:GenerateCredentialReport action"),
    ),
  ).toBe("iam:GenerateCredentialReport");
  expect(missingPermissionFor("cloudtrail", "GetTrailStatus", err("Access Denied"))).toBe("cloudtrail:GetTrailStatus");
  expect(toCheckError("cloudtrail", "cloudtrail", "GetTrailStatus", err("nope", "TrailNotFoundException"))).toEqual({
    check: "cloudtrail",
    api: "GetTrailStatus",
    errorName: "TrailNotFoundException",
    message: "nope",
  });
});
