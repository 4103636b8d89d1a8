// Severity from context: root credentials, deny-only policies, a principal's own boundary, security services.
import { describe, expect, test } from "vitest";
import { normalizeRecord } from "../../src/cloudtrail/normalize.js";
import { decide } from "../../src/detect/index.js";
import { ALICE, ASSUMED_DEPLOYER, iamRecord, type RecordOptions } from "../support/records.js";

const ROOT = { type: "Root", principalId: "123456789012", arn: "arn:aws:iam::123456789012:root", accountId: "123456789012", accessKeyId: "ASIAROOT" };
const ASSUME_ROOT_SESSION = { ...ROOT, sessionContext: { attributes: { creationDate: "2026-11-22T00:00:00Z", mfaAuthenticated: "false" }, assumedRoot: "true" } };

const d = (o: RecordOptions, extra: Record<string, unknown> = {}) => {
  const r = decide(normalizeRecord({ ...iamRecord(o), ...extra }));
  if (!r.alert) throw new Error("expected an alert");
  return r;
};

describe("root as the target", () => {
  test("the root user deleting its own access key, password or MFA is critical and says root", () => {
    for (const eventName of ["DeleteAccessKey", "DeleteLoginProfile", "DeactivateMFADevice", "DeleteSigningCertificate"]) {
      const r = d({ eventName, identity: ROOT, requestParameters: { accessKeyId: "AKIA1", serialNumber: "arn:aws:iam::123456789012:mfa/x" } });
      expect(r.severity, eventName).toBe("critical");
      expect(r.severityReason, eventName).toMatch(/root user/);
    }
  });

  test("an AssumeRoot session without userName (sessionContext.assumedRoot or inScopeOf) is critical", () => {
    expect(d({ eventName: "DeleteLoginProfile", identity: ASSUME_ROOT_SESSION, requestParameters: {} })).toMatchObject({
      severity: "critical",
      severityReason: expect.stringMatching(/sts:AssumeRoot/) as string,
    });
    expect(
      d({ eventName: "DeleteAccessKey", identity: { ...ALICE, type: "Root", arn: "arn:aws:iam::123456789012:root" }, requestParameters: { accessKeyId: "AKIA1" } }, { inScopeOf: { issuerType: "AWS::STS::AssumeRoot", credentialsIssuedTo: "arn:aws:sts::111111111111:assumed-role/x/y" } }).severity,
    ).toBe("critical");
  });

  test("root deleting an IAM user's key (userName given) keeps the catalog severity; a user deleting their own key too", () => {
    expect(d({ eventName: "DeleteAccessKey", identity: ROOT, requestParameters: { userName: "bob", accessKeyId: "AKIA1" } }).severity).toBe("medium");
    expect(d({ eventName: "DeleteAccessKey", identity: ALICE, requestParameters: { accessKeyId: "AKIA1" } }).severity).toBe("medium");
  });

  test("deleting the root account's virtual MFA device is critical whoever does it", () => {
    expect(d({ eventName: "DeleteVirtualMFADevice", identity: ALICE, requestParameters: { serialNumber: "arn:aws:iam::123456789012:mfa/root-account-mfa-device" } })).toMatchObject({ severity: "critical", severityReason: expect.stringMatching(/root/) as string });
  });
});

describe("deny-only policies", () => {
  test.each(["AWSCompromisedKeyQuarantine", "AWSCompromisedKeyQuarantineV2", "AWSCompromisedKeyQuarantineV3", "AWSDenyAll"])("detaching %s is critical", (policy) => {
    for (const eventName of ["DetachUserPolicy", "DetachRolePolicy", "DetachGroupPolicy"]) {
      const r = d({ eventName, requestParameters: { userName: "u", roleName: "r", groupName: "g", policyArn: `arn:aws:iam::aws:policy/${policy}` } });
      expect(r.severity).toBe("critical");
      expect(r.severityReason).toContain(policy);
    }
  });

  test("a look-alike customer policy name is not an AWS managed deny policy; the document being unknown is said", () => {
    const r = d({ eventName: "DetachUserPolicy", requestParameters: { userName: "u", policyArn: "arn:aws:iam::123456789012:policy/AWSDenyAll" } });
    expect(r.severity).toBe("medium");
    expect(r.severityReason).toMatch(/does not carry the policy document: if its statements are Deny, treat it as critical/);
  });

  test("deleting trailwatch's own session-revoking deny is critical", () => {
    expect(d({ eventName: "DeleteRolePolicy", requestParameters: { roleName: "r", policyName: "TrailwatchRevokeOlderSessions" } }).severity).toBe("critical");
  });
});

describe("a principal removing its own permissions boundary", () => {
  test("user and role session removing their own boundary: critical, and says so", () => {
    expect(d({ eventName: "DeleteUserPermissionsBoundary", identity: ALICE, requestParameters: { userName: "alice" } }).severityReason).toMatch(/its own permissions boundary/);
    expect(d({ eventName: "DeleteRolePermissionsBoundary", identity: ASSUMED_DEPLOYER, requestParameters: { roleName: "deployer" } }).severityReason).toMatch(/its own permissions boundary/);
    expect(d({ eventName: "DeleteRolePermissionsBoundary", identity: ASSUMED_DEPLOYER, requestParameters: { roleName: "other" } }).severityReason).not.toMatch(/its own/);
  });
});

describe("DeleteServiceLinkedRole", () => {
  test.each([
    "AWSServiceRoleForAmazonGuardDuty",
    "AWSServiceRoleForAmazonGuardDutyMalwareProtection",
    "AWSServiceRoleForConfig",
    "AWSServiceRoleForAmazonInspector2",
    "AWSServiceRoleForAmazonMacie",
    "AWSServiceRoleForSecurityHub",
    "AWSServiceRoleForAccessAnalyzer",
  ])("%s (a security service) is high", (roleName) => {
    expect(d({ eventName: "DeleteServiceLinkedRole", requestParameters: { roleName } }).severity).toBe("high");
  });

  test("another service's role is medium", () => {
    expect(d({ eventName: "DeleteServiceLinkedRole", requestParameters: { roleName: "AWSServiceRoleForElasticLoadBalancing" } }).severity).toBe("medium");
  });
});
