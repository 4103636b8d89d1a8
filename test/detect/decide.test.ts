import { describe, expect, test } from "vitest";
import { normalizeRecord } from "../../src/cloudtrail/normalize.js";
import { IAM_DELETION_EVENT_NAMES } from "../../src/domain.js";
import type { IamDeletionEventName, IamEvent, Severity } from "../../src/domain.js";
import type { BaseSeverityLookup } from "../../src/detect/index.js";
import { getCatalogEntry } from "../../src/catalog/index.js";
import {
  SECURITY_CONTROL_DELETIONS,
  catalogBaseSeverity,
  classifyOutcome,
  decide,
  fallbackBaseSeverity,
} from "../../src/detect/index.js";

function event(overrides: Partial<IamEvent> = {}): IamEvent {
  return {
    eventId: "e-1",
    eventName: "DeleteRole",
    eventSource: "iam.amazonaws.com",
    eventTime: new Date("2024-01-01T00:00:00Z"),
    awsRegion: "us-east-1",
    accountId: "111122223333",
    actor: { type: "IAMUser", userName: "alice", mfaAuthenticated: null },
    sourceIp: "192.0.2.1",
    userAgent: "aws-cli/2.0",
    client: "cli",
    requestParameters: { roleName: "r" },
    resources: [{ kind: "roleName", label: "Role", value: "r" }],
    ...overrides,
  };
}

/** A stand-in catalog: a fixed severity per name, "high" otherwise. */
const SEVERITY_BY_NAME: Partial<Record<IamDeletionEventName, Severity>> = {
  DeactivateMFADevice: "critical",
  DeleteVirtualMFADevice: "critical",
  DeleteAccountPasswordPolicy: "critical",
  DeleteRolePermissionsBoundary: "critical",
  DeleteUserPermissionsBoundary: "critical",
  DeleteUser: "critical",
  DeleteRole: "high",
  DetachRolePolicy: "medium",
  DeleteAccountAlias: "low",
};
const catalog: BaseSeverityLookup = (name) => {
  const severity = SEVERITY_BY_NAME[name] ?? "high";
  return { severity, reason: `catalog says ${severity} for ${name}` };
};

describe("decide: which events alert", () => {
  test.each(IAM_DELETION_EVENT_NAMES.map((n) => [n]))("IAM %s alerts", (name) => {
    const d = decide(event({ eventName: name }), catalog);
    expect(d).toMatchObject({ alert: true, eventName: name, outcome: "success" });
  });

  test.each([
    ["s3.amazonaws.com", "DeleteBucket"],
    ["ssm.amazonaws.com", "DeleteParameter"],
    ["ec2.amazonaws.com", "DetachVolume"],
    ["rds.amazonaws.com", "RemoveRoleFromDBInstance"],
    ["lambda.amazonaws.com", "DeleteFunction20150331"],
    ["cloudtrail.amazonaws.com", "DeleteTrail"],
    // the right name from the wrong service
    ["sts.amazonaws.com", "DeleteRole"],
    ["IAM.amazonaws.com", "DeleteRole"],
    [" iam.amazonaws.com", "DeleteRole"],
    ["", "DeleteRole"],
  ])("%s %s does not alert", (eventSource, eventName) => {
    const d = decide(event({ eventSource, eventName }), catalog);
    expect(d.alert).toBe(false);
    if (!d.alert) expect(d.reason).toContain("not an IAM event");
  });

  test.each(["DetachUserGroup", "CreateRole", "AttachRolePolicy", "UpdateAccessKey", "deleterole", "DeleteRole ", ""])(
    "iam.amazonaws.com %j does not alert",
    (eventName) => {
      const d = decide(event({ eventName }), catalog);
      expect(d.alert).toBe(false);
      if (!d.alert) expect(d.reason).toMatch(/is not an IAM deletion event|has no eventName/);
    },
  );
});

describe("classifyOutcome", () => {
  test.each([
    [undefined, "success"],
    ["", "success"],
    ["null", "success"],
    ["AccessDenied", "denied"],
    ["AccessDeniedException", "denied"],
    ["UnauthorizedOperation", "denied"],
    ["Client.UnauthorizedOperation", "denied"],
    ["NotAuthorizedException", "denied"],
    ["VpceAccessDenied", "denied"],
    ["NoSuchEntity", "failed"],
    ["NoSuchEntityException", "failed"],
    ["DeleteConflict", "failed"],
    ["DeleteConflictException", "failed"],
    ["EntityTemporarilyUnmodifiable", "failed"],
    ["EntityTemporarilyUnmodifiableException", "failed"],
    ["ThrottlingException", "failed"],
    ["ServiceFailure", "failed"],
  ] as const)("%j -> %s", (code, outcome) => {
    expect(classifyOutcome(code)).toBe(outcome);
  });
});

describe("decide: severity", () => {
  test("success takes the catalog severity and reason", () => {
    expect(decide(event({ eventName: "DeleteUser" }), catalog)).toEqual({
      alert: true,
      eventName: "DeleteUser",
      outcome: "success",
      severity: "critical",
      severityReason: "catalog says critical for DeleteUser",
    });
  });

  test.each([
    ["DeleteUser", "high"],
    ["DeleteRole", "medium"],
    ["DetachRolePolicy", "low"],
    ["DeleteAccountAlias", "low"],
  ] as const)("denied %s is one level lower: %s", (eventName, severity) => {
    const d = decide(event({ eventName, errorCode: "AccessDenied" }), catalog);
    expect(d).toEqual({
      alert: true,
      eventName,
      outcome: "denied",
      severity,
      severityReason: "Denied attempt: nothing was deleted, but someone tried",
    });
  });

  test("failed (NoSuchEntity, DeleteConflict) is one level lower and names the error", () => {
    const d = decide(event({ eventName: "DeleteUser", errorCode: "DeleteConflict" }), catalog);
    expect(d).toEqual({
      alert: true,
      eventName: "DeleteUser",
      outcome: "failed",
      severity: "high",
      severityReason: "Failed attempt (DeleteConflict): nothing was deleted",
    });
  });

  test("rule 2: the root user keeps the catalog severity, denied or failed", () => {
    const root = { type: "Root", arn: "arn:aws:iam::111122223333:root", mfaAuthenticated: true };
    for (const errorCode of ["AccessDenied", "NoSuchEntity"]) {
      const d = decide(event({ eventName: "DeleteRole", errorCode, actor: root }), catalog);
      expect(d).toMatchObject({ alert: true, severity: "high" });
      if (d.alert) expect(d.severityReason).toMatch(/^Root user attempt .*root credentials are in use/);
    }
    // recognised by the ARN when the type is missing
    const byArn = decide(
      event({ errorCode: "AccessDenied", actor: { type: "Unknown", arn: "arn:aws:iam::1:root", mfaAuthenticated: null } }),
      catalog,
    );
    expect(byArn).toMatchObject({ severity: "high" });
  });

  test.each([...SECURITY_CONTROL_DELETIONS].map((n) => [n]))(
    "rule 3: denied %s (a security control) keeps the catalog severity",
    (eventName) => {
      const d = decide(event({ eventName, errorCode: "AccessDenied" }), catalog);
      expect(d).toMatchObject({ alert: true, outcome: "denied", severity: "critical" });
      if (d.alert) expect(d.severityReason).toMatch(/security control/);
    },
  );

  test("rule 3 applies to denials only: a failed security-control deletion is one level lower", () => {
    const d = decide(event({ eventName: "DeactivateMFADevice", errorCode: "NoSuchEntity" }), catalog);
    expect(d).toMatchObject({ outcome: "failed", severity: "high" });
  });

  test("rule 4: denied critical operation from a session without MFA keeps critical", () => {
    const noMfa = { type: "AssumedRole", roleName: "dev", mfaAuthenticated: false };
    const d = decide(event({ eventName: "DeleteUser", errorCode: "AccessDenied", actor: noMfa }), catalog);
    expect(d).toMatchObject({ severity: "critical" });
    if (d.alert) expect(d.severityReason).toMatch(/without MFA/);
  });

  test("rule 4 needs an explicit mfaAuthenticated=false and a critical base", () => {
    const unknownMfa = { type: "IAMUser", mfaAuthenticated: null };
    expect(decide(event({ eventName: "DeleteUser", errorCode: "AccessDenied", actor: unknownMfa }), catalog)).toMatchObject({
      severity: "high",
    });
    const withMfa = { type: "AssumedRole", mfaAuthenticated: true };
    expect(decide(event({ eventName: "DeleteUser", errorCode: "AccessDenied", actor: withMfa }), catalog)).toMatchObject({
      severity: "high",
    });
    const noMfaHigh = { type: "AssumedRole", mfaAuthenticated: false };
    expect(decide(event({ eventName: "DeleteRole", errorCode: "AccessDenied", actor: noMfaHigh }), catalog)).toMatchObject({
      severity: "medium",
    });
  });

});

describe("decide with the default (catalog) severities", () => {
  // Policy removals whose document the event does not carry say so after the catalog's reason.
  const DOCUMENT_UNKNOWN = new Set(["DetachUserPolicy", "DetachGroupPolicy", "DetachRolePolicy", "DeleteUserPolicy", "DeleteGroupPolicy", "DeleteRolePolicy"]);
  test.each(IAM_DELETION_EVENT_NAMES.map((n) => [n]))("successful %s takes the catalog entry", (name) => {
    const entry = getCatalogEntry(name);
    expect(decide(event({ eventName: name }))).toEqual({
      alert: true,
      eventName: name,
      outcome: "success",
      severity: entry.severity,
      severityReason: DOCUMENT_UNKNOWN.has(name)
        ? `${entry.severityReason} The event does not carry the policy document: if its statements are Deny, treat it as critical.`
        : entry.severityReason,
    });
  });

  test("the security-control deletions are critical in the catalog", () => {
    for (const name of SECURITY_CONTROL_DELETIONS) expect(getCatalogEntry(name).severity).toBe("critical");
  });

  test("denied DeleteSAMLProvider (critical): lowered with unknown MFA, kept without MFA", () => {
    const denied = { eventName: "DeleteSAMLProvider", errorCode: "AccessDenied" };
    expect(decide(event(denied))).toMatchObject({ severity: "high" });
    const noMfa = { type: "AssumedRole", mfaAuthenticated: false };
    expect(decide(event({ ...denied, actor: noMfa }))).toMatchObject({ severity: "critical" });
  });

  test("denied DeactivateMFADevice stays critical", () => {
    expect(decide(event({ eventName: "DeactivateMFADevice", errorCode: "AccessDenied" }))).toMatchObject({
      outcome: "denied",
      severity: "critical",
    });
  });

  test("catalogBaseSeverity falls back when the catalog has no entry", () => {
    expect(catalogBaseSeverity("NotAName" as IamDeletionEventName)).toEqual(fallbackBaseSeverity("DeleteRole"));
  });
});

describe("decide on normalised records", () => {
  test("a denied deletion with requestParameters null still alerts", () => {
    const ev = normalizeRecord({
      eventSource: "iam.amazonaws.com",
      eventName: "DeleteUserPolicy",
      errorCode: "AccessDenied",
      errorMessage: "User: arn:aws:iam::1:user/x is not authorized to perform: iam:DeleteUserPolicy",
      requestParameters: null,
      userIdentity: { type: "IAMUser", userName: "x" },
      eventID: "abc",
    });
    expect(decide(ev, catalog)).toMatchObject({ alert: true, outcome: "denied", severity: "medium" });
  });

  test("the fixture string 'null' as errorCode is a success", () => {
    const ev = normalizeRecord({ eventSource: "iam.amazonaws.com", eventName: "DeleteRole", errorCode: "null" });
    expect(decide(ev, catalog)).toMatchObject({ alert: true, outcome: "success" });
  });
});
