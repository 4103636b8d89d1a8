// Shared fixtures for the remediation tests: one moto_server per test file (reset before each test),
// deps for the engine, realistic IamEvent builders and seeding helpers.
import {
  CreateRoleCommand,
  GetInstanceProfileCommand,
  ListRoleTagsCommand,
  ListUserTagsCommand,
  type IAMClient,
  type Tag,
} from "@aws-sdk/client-iam";
import { DEFAULT_PASSWORD_POLICY, type Actor, type BotIdentity, type IamEvent } from "../../src/domain.js";
import type { ExecutionContext, RemediationDeps } from "../../src/remediation/index.js";
import { createBucket as createS3Bucket, MOTO_ACCOUNT_ID, type Moto } from "../support/moto.js";

export const ACCOUNT = MOTO_ACCOUNT_ID;
export const BOT: BotIdentity = { arn: `arn:aws:sts::${ACCOUNT}:assumed-role/trailwatch-bot/trailwatch`, accountId: ACCOUNT };
export const CTX: ExecutionContext = { requestId: "REQ-42", requestedBy: "U_REQUESTER", approvedBy: "U_APPROVER" };
export const FIXED_NOW = new Date("2025-03-01T12:00:00.000Z");

export { useMoto } from "../support/moto.js";

export function depsFor(moto: Moto, overrides: Partial<RemediationDeps> = {}): RemediationDeps {
  return {
    iam: moto.iam(),
    cloudtrail: moto.cloudtrail(),
    botIdentity: BOT,
    passwordPolicy: DEFAULT_PASSWORD_POLICY,
    now: () => FIXED_NOW,
    verifyRetryDelaysMs: [],
    ...overrides,
  };
}

export function tagsOf(requestId: string, action: string): Tag[] {
  return [
    { Key: "trailwatch:remediation-request", Value: requestId },
    { Key: "trailwatch:action", Value: action },
  ];
}

export const EC2_TRUST = JSON.stringify({
  Version: "2012-10-17",
  Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }],
});

export async function createRole(iam: IAMClient, name: string, path = "/"): Promise<void> {
  await iam.send(new CreateRoleCommand({ RoleName: name, Path: path, AssumeRolePolicyDocument: EC2_TRUST }));
}

export async function userTags(iam: IAMClient, userName: string): Promise<Tag[]> {
  return (await iam.send(new ListUserTagsCommand({ UserName: userName }))).Tags ?? [];
}

export async function roleTags(iam: IAMClient, roleName: string): Promise<Tag[]> {
  return (await iam.send(new ListRoleTagsCommand({ RoleName: roleName }))).Tags ?? [];
}

/** moto 5.2.1 lacks ListInstanceProfileTags; GetInstanceProfile carries the tags. */
export async function instanceProfileTags(iam: IAMClient, name: string): Promise<Tag[]> {
  return (await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: name }))).InstanceProfile?.Tags ?? [];
}

/** Creates an S3 bucket in moto (no S3 client in the project): moto routes on the SigV4 credential scope. */
export async function createBucket(moto: Moto, bucket: string): Promise<void> {
  await createS3Bucket(moto.endpoint, bucket);
}

/** Turns moto's IAM access enforcement on (0) or off (Infinity). */
export async function setMotoAuth(moto: Moto, enforceAfter: number): Promise<void> {
  const res = await fetch(`${moto.endpoint}/moto-api/reset-auth`, { method: "POST", body: Number.isFinite(enforceAfter) ? String(enforceAfter) : "inf" });
  if (!res.ok) throw new Error(`reset-auth failed: ${res.status}`);
}

// ---- IamEvent builders (shapes follow src/domain.ts) ----

export const ALICE_ACTOR: Actor = {
  type: "IAMUser",
  arn: `arn:aws:iam::${ACCOUNT}:user/alice`,
  principalId: "AIDAEXAMPLEALICE0001",
  accountId: ACCOUNT,
  accessKeyId: "AKIAEXAMPLEALICE0001",
  userName: "alice",
  mfaAuthenticated: false,
};

export const ROLE_ACTOR: Actor = {
  type: "AssumedRole",
  arn: `arn:aws:sts::${ACCOUNT}:assumed-role/deploy-role/ci-session`,
  principalId: "AROAEXAMPLEDEPLOY001:ci-session",
  accountId: ACCOUNT,
  accessKeyId: "ASIAEXAMPLEDEPLOY001",
  roleArn: `arn:aws:iam::${ACCOUNT}:role/deploy-role`,
  roleName: "deploy-role",
  sessionName: "ci-session",
  mfaAuthenticated: false,
};

export function iamEvent(eventName: string, requestParameters: Record<string, unknown> | null, actor: Actor = ALICE_ACTOR, extra: Partial<IamEvent> = {}): IamEvent {
  return {
    eventId: `ev-${eventName}-0001`,
    eventName,
    eventSource: "iam.amazonaws.com",
    eventTime: new Date("2025-02-28T09:15:00Z"),
    awsRegion: "us-east-1",
    accountId: ACCOUNT,
    actor,
    sourceIp: "198.51.100.7",
    userAgent: "aws-cli/2.15.0 Python/3.11.6",
    client: "cli",
    requestParameters,
    resources: [],
    readOnly: false,
    ...extra,
  };
}
