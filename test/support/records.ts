// Realistic CloudTrail records for integration tests (shaped like real IAM records in the corpus).
import { randomUUID } from "node:crypto";

export interface RecordOptions {
  eventName: string;
  eventTime?: Date;
  eventId?: string;
  requestParameters?: Record<string, unknown> | null;
  errorCode?: string;
  userAgent?: string;
  eventSource?: string;
  identity?: Record<string, unknown>;
  readOnly?: boolean;
}

export const ALICE = {
  type: "IAMUser",
  principalId: "AIDAEXAMPLEALICE0001",
  arn: "arn:aws:iam::123456789012:user/alice",
  accountId: "123456789012",
  accessKeyId: "AKIAEXAMPLEALICE0001",
  userName: "alice",
};

export const ASSUMED_DEPLOYER = {
  type: "AssumedRole",
  principalId: "AROAEXAMPLEDEPLOY001:ci-session",
  arn: "arn:aws:sts::123456789012:assumed-role/deployer/ci-session",
  accountId: "123456789012",
  accessKeyId: "ASIAEXAMPLEDEPLOY001",
  sessionContext: {
    sessionIssuer: { type: "Role", principalId: "AROAEXAMPLEDEPLOY001", arn: "arn:aws:iam::123456789012:role/deployer", accountId: "123456789012", userName: "deployer" },
    attributes: { creationDate: "2026-11-22T00:00:00Z", mfaAuthenticated: "false" },
  },
};

export function iamRecord(o: RecordOptions): Record<string, unknown> {
  const t = o.eventTime ?? new Date();
  return {
    eventVersion: "1.08",
    userIdentity: o.identity ?? ALICE,
    eventTime: t.toISOString().replace(/\.\d{3}Z$/, "Z"),
    eventSource: o.eventSource ?? "iam.amazonaws.com",
    eventName: o.eventName,
    awsRegion: "us-east-1",
    sourceIPAddress: "203.0.113.10",
    userAgent: o.userAgent ?? "aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64",
    requestParameters: o.requestParameters === undefined ? {} : o.requestParameters,
    responseElements: null,
    ...(o.errorCode ? { errorCode: o.errorCode, errorMessage: `${o.errorCode} for test` } : {}),
    requestID: randomUUID(),
    eventID: o.eventId ?? randomUUID(),
    readOnly: o.readOnly ?? false,
    eventType: "AwsApiCall",
    managementEvent: true,
    recipientAccountId: "123456789012",
    eventCategory: "Management",
  };
}
