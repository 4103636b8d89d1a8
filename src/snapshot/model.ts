// The IAM snapshot model: what trailwatch keeps of an account's IAM so a deleted resource can be rebuilt.
// Policy documents are stored decoded (plain JSON text, as they would be sent back to IAM). Nothing here
// changes on its own between two reads of an unchanged account (no last-used times), so an unchanged
// account hashes to the same content and is stored once.
import { z } from "zod";

const tag = z.object({ Key: z.string(), Value: z.string() });
export type SnapTag = z.infer<typeof tag>;

const inlinePolicy = z.object({ name: z.string(), document: z.string() });
export type SnapInlinePolicy = z.infer<typeof inlinePolicy>;

const role = z.object({
  name: z.string(),
  id: z.string(),
  arn: z.string(),
  path: z.string(),
  createDate: z.string().optional(),
  trustPolicy: z.string(),
  description: z.string().optional(),
  maxSessionDuration: z.number().int().optional(),
  boundaryArn: z.string().optional(),
  tags: z.array(tag),
  inlinePolicies: z.array(inlinePolicy),
  managedPolicyArns: z.array(z.string()),
  instanceProfileNames: z.array(z.string()),
});
export type SnapRole = z.infer<typeof role>;

const credentialBody = z.object({ id: z.string(), body: z.string(), status: z.string() });

const user = z.object({
  name: z.string(),
  id: z.string(),
  arn: z.string(),
  path: z.string(),
  createDate: z.string().optional(),
  boundaryArn: z.string().optional(),
  tags: z.array(tag),
  groups: z.array(z.string()),
  inlinePolicies: z.array(inlinePolicy),
  managedPolicyArns: z.array(z.string()),
  sshPublicKeys: z.array(credentialBody),
  signingCertificates: z.array(credentialBody),
});
export type SnapUser = z.infer<typeof user>;

const group = z.object({
  name: z.string(),
  id: z.string(),
  arn: z.string(),
  path: z.string(),
  inlinePolicies: z.array(inlinePolicy),
  managedPolicyArns: z.array(z.string()),
});

const policyVersion = z.object({ versionId: z.string(), isDefault: z.boolean(), document: z.string() });
const policy = z.object({
  name: z.string(),
  id: z.string(),
  arn: z.string(),
  path: z.string(),
  description: z.string().optional(),
  defaultVersionId: z.string(),
  versions: z.array(policyVersion),
  tags: z.array(tag),
});
export type SnapPolicy = z.infer<typeof policy>;

const instanceProfile = z.object({
  name: z.string(),
  id: z.string(),
  arn: z.string(),
  path: z.string(),
  roleNames: z.array(z.string()),
  tags: z.array(tag),
});

const passwordPolicy = z.object({
  MinimumPasswordLength: z.number().int(),
  RequireSymbols: z.boolean(),
  RequireNumbers: z.boolean(),
  RequireUppercaseCharacters: z.boolean(),
  RequireLowercaseCharacters: z.boolean(),
  AllowUsersToChangePassword: z.boolean(),
  HardExpiry: z.boolean(),
  MaxPasswordAge: z.number().int().optional(),
  PasswordReusePrevention: z.number().int().optional(),
});

const oidcProvider = z.object({ arn: z.string(), url: z.string(), clientIds: z.array(z.string()), thumbprints: z.array(z.string()), tags: z.array(tag) });

const samlProvider = z.object({ arn: z.string(), name: z.string(), metadata: z.string(), tags: z.array(tag) });

export const iamSnapshotSchema = z.object({
  formatVersion: z.literal(1),
  accountId: z.string().optional(),
  roles: z.array(role),
  users: z.array(user),
  groups: z.array(group),
  policies: z.array(policy),
  instanceProfiles: z.array(instanceProfile),
  accountAlias: z.string().nullable(),
  passwordPolicy: passwordPolicy.nullable(),
  oidcProviders: z.array(oidcProvider),
  samlProviders: z.array(samlProvider),
  /** Parts that could not be read (e.g. "SAML providers: AccessDenied ..."): absent from this snapshot. */
  gaps: z.array(z.string()),
});
export type IamSnapshot = z.infer<typeof iamSnapshotSchema>;

/** A stored snapshot's header: when its content was first seen and when it was last confirmed unchanged. */
export interface SnapshotMeta {
  id: number;
  /** The account scope it was taken in: "default" (the bot's own account) or a 12-digit account id. */
  scope: string;
  takenAt: Date;
  confirmedAt: Date;
  hash: string;
  rawBytes: number;
  storedBytes: number;
}
