// The write APIs the restore remediations may call, merged into the executor's allow-list (../calls.ts).
import {
  AddClientIDToOpenIDConnectProviderCommand,
  CreateGroupCommand,
  CreateOpenIDConnectProviderCommand,
  CreateSAMLProviderCommand,
  UploadSigningCertificateCommand,
  UploadSSHPublicKeyCommand,
  CreateInstanceProfileCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  CreateUserCommand,
  PutGroupPolicyCommand,
  PutRolePermissionsBoundaryCommand,
  PutUserPermissionsBoundaryCommand,
  PutUserPolicyCommand,
  TagPolicyCommand,
  type Tag,
} from "@aws-sdk/client-iam";
import type { AllowedApi } from "../calls.js";

const s = (p: Record<string, unknown>, k: string): string => p[k] as string;
const opt = (p: Record<string, unknown>, k: string): string | undefined => (typeof p[k] === "string" ? (p[k] as string) : undefined);
const tags = (p: Record<string, unknown>, k: string): Tag[] => p[k] as Tag[];

export const RESTORE_APIS: Readonly<Record<string, AllowedApi>> = {
  CreateRole: {
    service: "iam",
    required: { RoleName: "string", Path: "string", AssumeRolePolicyDocument: "string", Tags: "tags" },
    optional: { Description: "string", MaxSessionDuration: "number", PermissionsBoundary: "string" },
    send: (d, p) =>
      d.iam.send(
        new CreateRoleCommand({
          RoleName: s(p, "RoleName"),
          Path: s(p, "Path"),
          AssumeRolePolicyDocument: s(p, "AssumeRolePolicyDocument"),
          Tags: tags(p, "Tags"),
          Description: opt(p, "Description"),
          MaxSessionDuration: typeof p.MaxSessionDuration === "number" ? p.MaxSessionDuration : undefined,
          PermissionsBoundary: opt(p, "PermissionsBoundary"),
        }),
      ),
  },
  CreateInstanceProfile: {
    service: "iam",
    required: { InstanceProfileName: "string", Path: "string", Tags: "tags" },
    send: (d, p) =>
      d.iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: s(p, "InstanceProfileName"), Path: s(p, "Path"), Tags: tags(p, "Tags") })),
  },
  PutUserPolicy: {
    service: "iam",
    required: { UserName: "string", PolicyName: "string", PolicyDocument: "string" },
    send: (d, p) =>
      d.iam.send(new PutUserPolicyCommand({ UserName: s(p, "UserName"), PolicyName: s(p, "PolicyName"), PolicyDocument: s(p, "PolicyDocument") })),
  },
  PutGroupPolicy: {
    service: "iam",
    required: { GroupName: "string", PolicyName: "string", PolicyDocument: "string" },
    send: (d, p) =>
      d.iam.send(new PutGroupPolicyCommand({ GroupName: s(p, "GroupName"), PolicyName: s(p, "PolicyName"), PolicyDocument: s(p, "PolicyDocument") })),
  },
  CreateUser: {
    service: "iam",
    required: { UserName: "string", Path: "string", Tags: "tags" },
    optional: { PermissionsBoundary: "string" },
    send: (d, p) =>
      d.iam.send(
        new CreateUserCommand({ UserName: s(p, "UserName"), Path: s(p, "Path"), Tags: tags(p, "Tags"), PermissionsBoundary: opt(p, "PermissionsBoundary") }),
      ),
  },
  CreateGroup: {
    service: "iam",
    required: { GroupName: "string", Path: "string" },
    send: (d, p) => d.iam.send(new CreateGroupCommand({ GroupName: s(p, "GroupName"), Path: s(p, "Path") })),
  },
  // Tags go in a separate TagPolicy call: CreatePolicy with tags needs iam:TagPolicy anyway, and this way
  // the grant and the read-back are explicit.
  CreatePolicy: {
    service: "iam",
    required: { PolicyName: "string", Path: "string", PolicyDocument: "string" },
    optional: { Description: "string" },
    send: (d, p) =>
      d.iam.send(
        new CreatePolicyCommand({ PolicyName: s(p, "PolicyName"), Path: s(p, "Path"), PolicyDocument: s(p, "PolicyDocument"), Description: opt(p, "Description") }),
      ),
  },
  TagPolicy: {
    service: "iam",
    required: { PolicyArn: "string", Tags: "tags" },
    send: (d, p) => d.iam.send(new TagPolicyCommand({ PolicyArn: s(p, "PolicyArn"), Tags: tags(p, "Tags") })),
  },
  CreatePolicyVersion: {
    service: "iam",
    required: { PolicyArn: "string", PolicyDocument: "string", SetAsDefault: "boolean" },
    send: (d, p) =>
      d.iam.send(new CreatePolicyVersionCommand({ PolicyArn: s(p, "PolicyArn"), PolicyDocument: s(p, "PolicyDocument"), SetAsDefault: p.SetAsDefault === true })),
  },
  CreateOpenIDConnectProvider: {
    service: "iam",
    required: { Url: "string", ClientIDList: "strings", ThumbprintList: "strings", Tags: "tags" },
    send: (d, p) =>
      d.iam.send(
        new CreateOpenIDConnectProviderCommand({ Url: s(p, "Url"), ClientIDList: p.ClientIDList as string[], ThumbprintList: p.ThumbprintList as string[], Tags: tags(p, "Tags") }),
      ),
  },
  AddClientIDToOpenIDConnectProvider: {
    service: "iam",
    required: { OpenIDConnectProviderArn: "string", ClientID: "string" },
    send: (d, p) => d.iam.send(new AddClientIDToOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: s(p, "OpenIDConnectProviderArn"), ClientID: s(p, "ClientID") })),
  },
  CreateSAMLProvider: {
    service: "iam",
    required: { Name: "string", SAMLMetadataDocument: "string", Tags: "tags" },
    send: (d, p) => d.iam.send(new CreateSAMLProviderCommand({ Name: s(p, "Name"), SAMLMetadataDocument: s(p, "SAMLMetadataDocument"), Tags: tags(p, "Tags") })),
  },
  UploadSSHPublicKey: {
    service: "iam",
    required: { UserName: "string", SSHPublicKeyBody: "string" },
    send: (d, p) => d.iam.send(new UploadSSHPublicKeyCommand({ UserName: s(p, "UserName"), SSHPublicKeyBody: s(p, "SSHPublicKeyBody") })),
  },
  UploadSigningCertificate: {
    service: "iam",
    required: { UserName: "string", CertificateBody: "string" },
    send: (d, p) => d.iam.send(new UploadSigningCertificateCommand({ UserName: s(p, "UserName"), CertificateBody: s(p, "CertificateBody") })),
  },
  PutRolePermissionsBoundary: {
    service: "iam",
    required: { RoleName: "string", PermissionsBoundary: "string" },
    send: (d, p) => d.iam.send(new PutRolePermissionsBoundaryCommand({ RoleName: s(p, "RoleName"), PermissionsBoundary: s(p, "PermissionsBoundary") })),
  },
  PutUserPermissionsBoundary: {
    service: "iam",
    required: { UserName: "string", PermissionsBoundary: "string" },
    send: (d, p) => d.iam.send(new PutUserPermissionsBoundaryCommand({ UserName: s(p, "UserName"), PermissionsBoundary: s(p, "PermissionsBoundary") })),
  },
};
