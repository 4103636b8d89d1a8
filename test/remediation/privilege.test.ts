// The admin-level judgement is pure: each rule of the definition, the conservative cases (NotAction,
// NotResource, wildcards, unreadable documents) and look-alikes that must not be flagged.
import { describe, expect, test } from "vitest";
import { documentAdminReasons, managedPolicyAdminReasons } from "../../src/remediation/privilege.js";

const doc = (...Statement: unknown[]) => ({ Version: "2012-10-17", Statement });
const allow = (Action: unknown, Resource: unknown = "*", extra: Record<string, unknown> = {}) => ({ Effect: "Allow", Action, Resource, ...extra });

describe("documentAdminReasons", () => {
  test.each([
    ["Action *", allow("*")],
    ["Action iam:*", allow("iam:*")],
    ["Action IAM:* (case-insensitive)", allow(["s3:GetObject", "IAM:*"])],
    ["Action *:*", allow("*:*")],
    ["Action i*", allow("i*")],
    ["iam:PassRole", allow("iam:PassRole")],
    ["iam:Attach*", allow("iam:Attach*")],
    ["iam:Attach*Policy", allow("iam:Attach*Policy")],
    ["iam:AttachRolePolicy", allow(["iam:AttachRolePolicy"])],
    ["iam:Put*Policy", allow("iam:Put*Policy")],
    ["iam:PutUserPolicy", allow("iam:putuserpolicy")],
    ["iam:*Policy", allow("iam:*Policy")],
    ["iam:Pass?ole", allow("iam:Pass?ole")],
    ["resource arn:aws:iam::123456789012:*", allow("iam:PassRole", "arn:aws:iam::123456789012:*")],
    ["resource list containing *", allow("iam:PassRole", ["arn:aws:s3:::b", "*"])],
    ["NotResource", { Effect: "Allow", Action: "iam:PassRole", NotResource: "arn:aws:iam::123456789012:role/x" }],
    ["NotAction", { Effect: "Allow", NotAction: ["iam:*", "organizations:*"], Resource: "*" }],
    ["with a condition", allow("*", "*", { Condition: { Bool: { "aws:MultiFactorAuthPresent": "true" } } })],
    ["a single statement object", allow("iam:*")],
  ])("flags %s", (_name, statement) => {
    const reasons = documentAdminReasons(doc(statement));
    expect(reasons.length).toBe(1);
  });

  test("a Statement that is an object, not an array, is read too", () => {
    expect(documentAdminReasons({ Version: "2012-10-17", Statement: allow("*") })).toEqual(["statement 1 allows * on every resource"]);
  });

  test("the reason names the statement, the actions and the scope", () => {
    expect(documentAdminReasons(doc({ Sid: "Ops", ...allow(["iam:Attach*", "s3:*"]) }))).toEqual([
      'statement "Ops" allows iam:AttachUserPolicy, iam:AttachGroupPolicy, iam:AttachRolePolicy on every resource',
    ]);
    expect(documentAdminReasons(doc(allow("*", "*", { Condition: { IpAddress: {} } })))).toEqual(["statement 1 allows * on every resource (with conditions)"]);
    expect(documentAdminReasons(doc({ Effect: "Allow", NotAction: "s3:*", Resource: "*" }))).toEqual([
      "statement 1 allows every action except s3:* on every resource",
    ]);
  });

  test.each([
    ["read-only IAM on *", allow(["iam:Get*", "iam:List*"])],
    ["iam:* on one role only", allow("iam:*", "arn:aws:iam::123456789012:role/app")],
    ["iam:PassRole on a role path", allow("iam:PassRole", "arn:aws:iam::123456789012:role/app/*")],
    ["s3:* on *", allow("s3:*")],
    ["Deny *", { Effect: "Deny", Action: "*", Resource: "*" }],
    ["NotAction excluding everything", { Effect: "Allow", NotAction: "*", Resource: "*" }],
    ["iam:CreateUser on *", allow("iam:CreateUser")],
  ])("does not flag %s", (_name, statement) => {
    expect(documentAdminReasons(doc(statement))).toEqual([]);
  });

  test("an unreadable document is treated as admin-level", () => {
    expect(documentAdminReasons(null)).toEqual(["the policy document cannot be read, so it is treated as admin-level"]);
  });
});

describe("managedPolicyAdminReasons", () => {
  test.each(["AdministratorAccess", "IAMFullAccess", "PowerUserAccess"])("%s is admin-level by name, whatever its document", (name) => {
    expect(managedPolicyAdminReasons(`arn:aws:iam::aws:policy/${name}`, doc(allow("s3:GetObject")))).toEqual([
      `arn:aws:iam::aws:policy/${name} is ${name}, an admin-level policy`,
    ]);
  });

  test("GovCloud and job-function paths are recognised; a name merely containing it is not", () => {
    expect(managedPolicyAdminReasons("arn:aws-us-gov:iam::aws:policy/AdministratorAccess", doc())).toHaveLength(1);
    expect(managedPolicyAdminReasons("arn:aws:iam::aws:policy/ReadOnlyAccess", doc(allow(["iam:Get*"])))).toEqual([]);
    expect(managedPolicyAdminReasons("arn:aws:iam::123456789012:policy/NotAdministratorAccess", doc(allow("s3:*")))).toEqual([]);
  });

  test("a customer policy with Action * is flagged by its document", () => {
    expect(managedPolicyAdminReasons("arn:aws:iam::123456789012:policy/AppReadOnly", doc(allow("*")))).toEqual([
      "arn:aws:iam::123456789012:policy/AppReadOnly: statement 1 allows * on every resource",
    ]);
  });
});
