// Safe principal matching: "*" never crosses ":" or "/", so attacker-chosen IAM paths (which may contain
// ":") cannot make a user look like a muted role.
import { expect, test } from "vitest";
import { normalizeRecord } from "../../src/cloudtrail/normalize.js";
import { muteReason } from "../../src/detect/noise.js";
import { arnPattern, parsePrincipal, safeGlob, splitArn } from "../../src/rules/principal.js";
import { iamRecord } from "../support/records.js";

const ACCT = "123456789012";
const none = { muteEvents: [], mutePrincipals: [], minSeverity: "low" as const };

function userEvent(path: string, name: string) {
  return normalizeRecord(
    iamRecord({
      eventName: "DeleteRole",
      identity: { type: "IAMUser", principalId: "AIDAHOSTILE", arn: `arn:aws:iam::${ACCT}:user${path}${name}`, accountId: ACCT, userName: name },
    }),
  );
}

function roleSession(roleName: string, session: string, path = "/") {
  return normalizeRecord(
    iamRecord({
      eventName: "DeleteRole",
      identity: {
        type: "AssumedRole",
        principalId: `AROAREAL:${session}`,
        arn: `arn:aws:sts::${ACCT}:assumed-role/${roleName}/${session}`,
        accountId: ACCT,
        sessionContext: {
          sessionIssuer: { type: "Role", principalId: "AROAREAL", arn: `arn:aws:iam::${ACCT}:role${path}${roleName}`, accountId: ACCT, userName: roleName },
          attributes: { mfaAuthenticated: "false" },
        },
      },
    }),
  );
}

const PATTERN = "arn:aws:iam::*:role/terraform-ci";

test("the README example mutes the real terraform-ci role's sessions", () => {
  const ev = roleSession("terraform-ci", "run-42");
  expect(arnPattern(PATTERN).matchActor(ev.actor)).toBe(`arn:aws:iam::${ACCT}:role/terraform-ci`);
  expect(muteReason(ev, "high", { ...none, mutePrincipals: [PATTERN] })).toMatch(/role\/terraform-ci/);
});

test("a user with path /:role/ named terraform-ci does not match arn:aws:iam::*:role/terraform-ci", () => {
  const ev = userEvent("/:role/", "terraform-ci");
  expect(ev.actor.arn).toBe(`arn:aws:iam::${ACCT}:user/:role/terraform-ci`);
  expect(arnPattern(PATTERN).matchActor(ev.actor)).toBeUndefined();
  expect(muteReason(ev, "high", { ...none, mutePrincipals: [PATTERN] })).toBeUndefined();
});

test.each([
  ["/:role/", "terraform-ci"],
  ["/x:role/", "terraform-ci"],
  ["/:iam::123456789012:role/", "terraform-ci"],
  ["/*/", "terraform-ci"],
  ["/role/", "terraform-ci"],
  ["/a/b:role/", "terraform-ci"],
])("hostile user path %s%s matches no role pattern", (path, name) => {
  const ev = userEvent(path, name);
  for (const p of [PATTERN, "arn:aws:iam::*:role/*", "arn:aws:iam::*:role/**", "arn:*:iam::*:role/terraform-ci", `*:role/terraform-ci`, `arn:aws:iam::${ACCT}:role/terraform-ci`]) {
    expect(arnPattern(p).matchActor(ev.actor), `${p} vs ${ev.actor.arn}`).toBeUndefined();
  }
});

test("* matches within one field or path segment; ** spans path segments but never ':'", () => {
  expect(safeGlob("arn:aws:iam::*:role/*").test("arn:aws:iam::1:role/a")).toBe(true);
  expect(safeGlob("arn:aws:iam::*:role/*").test("arn:aws:iam::1:role/ci/a")).toBe(false);
  expect(safeGlob("arn:aws:iam::*:role/**").test("arn:aws:iam::1:role/ci/a")).toBe(true);
  expect(safeGlob("arn:aws:iam::*:role/**").test("arn:aws:iam::1:role/c:i/a")).toBe(false);
  expect(safeGlob("arn:aws:iam::*:role/deploy*").test("arn:aws:iam::1:role/deployer")).toBe(true);
  // Regex metacharacters are literal.
  expect(safeGlob("arn:aws:iam::.*").test("arn:aws:iam::1:role/x")).toBe(false);
  expect(safeGlob("a.b").test("axb")).toBe(false);
  expect(safeGlob("a?b").test("axb")).toBe(false);
});

test("a role pattern with a path matches that path only", () => {
  expect(arnPattern("arn:aws:iam::*:role/ci/terraform-ci").matchActor(roleSession("terraform-ci", "s", "/ci/").actor)).toBeDefined();
  expect(arnPattern(PATTERN).matchActor(roleSession("terraform-ci", "s", "/ci/").actor)).toBeUndefined();
});

test("parsed principal: type, account, user, role, session and path come from the record's fields", () => {
  expect(parsePrincipal(userEvent("/:role/", "terraform-ci").actor)).toEqual({ type: "IAMUser", account: ACCT, user: "terraform-ci", path: "/:role/" });
  expect(parsePrincipal(roleSession("terraform-ci", "run-1", "/ci/").actor)).toEqual({
    type: "AssumedRole",
    account: ACCT,
    role: "terraform-ci",
    session: "run-1",
    path: "/ci/",
  });
  expect(splitArn(`arn:aws:iam::${ACCT}:user/:role/x`)?.resource).toBe("user/:role/x");
});
