// The write APIs the restore remediations may call, merged into the executor's allow-list (../calls.ts).
import type { Tag } from "@aws-sdk/client-iam";
import { iamGateway } from "../../aws/iam-gateway.js";
import type { AllowedApi } from "../calls.js";

const s = (p: Record<string, unknown>, k: string): string => p[k] as string;
const opt = (p: Record<string, unknown>, k: string): string | undefined => (typeof p[k] === "string" ? p[k] : undefined);
const tags = (p: Record<string, unknown>, k: string): Tag[] => p[k] as Tag[];

export const RESTORE_APIS: Readonly<Record<string, AllowedApi>> = {
  CreateRole: {
    service: "iam",
    required: { RoleName: "string", Path: "string", AssumeRolePolicyDocument: "string", Tags: "tags" },
    optional: { Description: "string", MaxSessionDuration: "number", PermissionsBoundary: "string" },
    send: (d, p) =>
      iamGateway(d.iam).createRole({
        RoleName: s(p, "RoleName"),
        Path: s(p, "Path"),
        AssumeRolePolicyDocument: s(p, "AssumeRolePolicyDocument"),
        Tags: tags(p, "Tags"),
        Description: opt(p, "Description"),
        MaxSessionDuration: typeof p.MaxSessionDuration === "number" ? p.MaxSessionDuration : undefined,
        PermissionsBoundary: opt(p, "PermissionsBoundary"),
      }),
  },
  CreateInstanceProfile: {
    service: "iam",
    required: { InstanceProfileName: "string", Path: "string", Tags: "tags" },
    send: (d, p) =>
      iamGateway(d.iam).createInstanceProfile(s(p, "InstanceProfileName"), s(p, "Path"), tags(p, "Tags")),
  },
  PutUserPolicy: {
    service: "iam",
    required: { UserName: "string", PolicyName: "string", PolicyDocument: "string" },
    send: (d, p) =>
      iamGateway(d.iam).putUserPolicy(s(p, "UserName"), s(p, "PolicyName"), s(p, "PolicyDocument")),
  },
  PutGroupPolicy: {
    service: "iam",
    required: { GroupName: "string", PolicyName: "string", PolicyDocument: "string" },
    send: (d, p) =>
      iamGateway(d.iam).putGroupPolicy(s(p, "GroupName"), s(p, "PolicyName"), s(p, "PolicyDocument")),
  },
  CreateUser: {
    service: "iam",
    required: { UserName: "string", Path: "string", Tags: "tags" },
    optional: { PermissionsBoundary: "string" },
    send: (d, p) =>
      iamGateway(d.iam).createUser({ UserName: s(p, "UserName"), Path: s(p, "Path"), Tags: tags(p, "Tags"), PermissionsBoundary: opt(p, "PermissionsBoundary") }),
  },
  CreateGroup: {
    service: "iam",
    required: { GroupName: "string", Path: "string" },
    send: (d, p) =>
      iamGateway(d.iam).createGroup(s(p, "GroupName"), s(p, "Path")),
  },
  // Tags go in a separate TagPolicy call: CreatePolicy with tags needs iam:TagPolicy anyway, and this way
  // the grant and the read-back are explicit.
  CreatePolicy: {
    service: "iam",
    required: { PolicyName: "string", Path: "string", PolicyDocument: "string" },
    optional: { Description: "string" },
    send: (d, p) =>
      iamGateway(d.iam).createPolicy({ PolicyName: s(p, "PolicyName"), Path: s(p, "Path"), PolicyDocument: s(p, "PolicyDocument"), Description: opt(p, "Description") }),
  },
  TagPolicy: {
    service: "iam",
    required: { PolicyArn: "string", Tags: "tags" },
    send: (d, p) =>
      iamGateway(d.iam).tagPolicy(s(p, "PolicyArn"), tags(p, "Tags")),
  },
  CreatePolicyVersion: {
    service: "iam",
    required: { PolicyArn: "string", PolicyDocument: "string", SetAsDefault: "boolean" },
    send: (d, p) =>
      iamGateway(d.iam).createPolicyVersion(s(p, "PolicyArn"), s(p, "PolicyDocument"), p.SetAsDefault === true),
  },
  CreateOpenIDConnectProvider: {
    service: "iam",
    required: { Url: "string", ClientIDList: "strings", ThumbprintList: "strings", Tags: "tags" },
    send: (d, p) =>
      iamGateway(d.iam).createOpenIDConnectProvider({ Url: s(p, "Url"), ClientIDList: p.ClientIDList as string[], ThumbprintList: p.ThumbprintList as string[], Tags: tags(p, "Tags") }),
  },
  AddClientIDToOpenIDConnectProvider: {
    service: "iam",
    required: { OpenIDConnectProviderArn: "string", ClientID: "string" },
    send: (d, p) =>
      iamGateway(d.iam).addClientIDToOpenIDConnectProvider(s(p, "OpenIDConnectProviderArn"), s(p, "ClientID")),
  },
  CreateSAMLProvider: {
    service: "iam",
    required: { Name: "string", SAMLMetadataDocument: "string", Tags: "tags" },
    send: (d, p) =>
      iamGateway(d.iam).createSAMLProvider(s(p, "Name"), s(p, "SAMLMetadataDocument"), tags(p, "Tags")),
  },
  UploadSSHPublicKey: {
    service: "iam",
    required: { UserName: "string", SSHPublicKeyBody: "string" },
    send: (d, p) =>
      iamGateway(d.iam).uploadSSHPublicKey(s(p, "UserName"), s(p, "SSHPublicKeyBody")),
  },
  UploadSigningCertificate: {
    service: "iam",
    required: { UserName: "string", CertificateBody: "string" },
    send: (d, p) =>
      iamGateway(d.iam).uploadSigningCertificate(s(p, "UserName"), s(p, "CertificateBody")),
  },
  PutRolePermissionsBoundary: {
    service: "iam",
    required: { RoleName: "string", PermissionsBoundary: "string" },
    send: (d, p) =>
      iamGateway(d.iam).putRolePermissionsBoundary(s(p, "RoleName"), s(p, "PermissionsBoundary")),
  },
  PutUserPermissionsBoundary: {
    service: "iam",
    required: { UserName: "string", PermissionsBoundary: "string" },
    send: (d, p) =>
      iamGateway(d.iam).putUserPermissionsBoundary(s(p, "UserName"), s(p, "PermissionsBoundary")),
  },
};
