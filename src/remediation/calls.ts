// The executor's allow-list: every API a plan may call, with the exact parameters it accepts. A stored
// plan naming anything else, or passing other parameters, is refused before any call is made. Each entry
// sends through the IAM or CloudTrail gateway (src/aws), so a failure is an AwsCallError naming the API.
import type { Tag } from "@aws-sdk/client-iam";
import { cloudTrailGateway } from "../aws/cloudtrail-gateway.js";
import { iamGateway } from "../aws/iam-gateway.js";
import type { AwsService } from "./aws.js";
import { RESTORE_APIS } from "./restore/calls.js";
import type { RemediationDeps } from "./types.js";

type FieldType = "string" | "boolean" | "number" | "tags" | "status" | "strings";

export interface AllowedApi {
  service: AwsService;
  required: Record<string, FieldType>;
  optional?: Record<string, FieldType>;
  send(deps: RemediationDeps, p: Record<string, unknown>): Promise<unknown>;
}

const s = (p: Record<string, unknown>, k: string): string => p[k] as string;
const tags = (p: Record<string, unknown>, k: string): Tag[] => p[k] as Tag[];

function cloudtrail(deps: RemediationDeps) {
  if (!deps.cloudtrail) throw new Error("no CloudTrail client is configured");
  return deps.cloudtrail;
}

export const ALLOWED_APIS: Readonly<Record<string, AllowedApi>> = Object.freeze({
  AddRoleToInstanceProfile: {
    service: "iam",
    required: { InstanceProfileName: "string", RoleName: "string" },
    send: (d, p) => iamGateway(d.iam).addRoleToInstanceProfile(s(p, "InstanceProfileName"), s(p, "RoleName")),
  },
  TagInstanceProfile: {
    service: "iam",
    required: { InstanceProfileName: "string", Tags: "tags" },
    send: (d, p) => iamGateway(d.iam).tagInstanceProfile(s(p, "InstanceProfileName"), tags(p, "Tags")),
  },
  CreateAccountAlias: {
    service: "iam",
    required: { AccountAlias: "string" },
    send: (d, p) => iamGateway(d.iam).createAccountAlias(s(p, "AccountAlias")),
  },
  AttachUserPolicy: {
    service: "iam",
    required: { UserName: "string", PolicyArn: "string" },
    send: (d, p) => iamGateway(d.iam).attachUserPolicy(s(p, "UserName"), s(p, "PolicyArn")),
  },
  AttachGroupPolicy: {
    service: "iam",
    required: { GroupName: "string", PolicyArn: "string" },
    send: (d, p) => iamGateway(d.iam).attachGroupPolicy(s(p, "GroupName"), s(p, "PolicyArn")),
  },
  AttachRolePolicy: {
    service: "iam",
    required: { RoleName: "string", PolicyArn: "string" },
    send: (d, p) => iamGateway(d.iam).attachRolePolicy(s(p, "RoleName"), s(p, "PolicyArn")),
  },
  AddUserToGroup: {
    service: "iam",
    required: { GroupName: "string", UserName: "string" },
    send: (d, p) => iamGateway(d.iam).addUserToGroup(s(p, "GroupName"), s(p, "UserName")),
  },
  TagUser: {
    service: "iam",
    required: { UserName: "string", Tags: "tags" },
    send: (d, p) => iamGateway(d.iam).tagUser(s(p, "UserName"), tags(p, "Tags")),
  },
  TagRole: {
    service: "iam",
    required: { RoleName: "string", Tags: "tags" },
    send: (d, p) => iamGateway(d.iam).tagRole(s(p, "RoleName"), tags(p, "Tags")),
  },
  UpdateAccessKey: {
    service: "iam",
    required: { UserName: "string", AccessKeyId: "string", Status: "status" },
    send: (d, p) => iamGateway(d.iam).updateAccessKey(s(p, "UserName"), s(p, "AccessKeyId"), p.Status as "Active" | "Inactive"),
  },
  PutRolePolicy: {
    service: "iam",
    required: { RoleName: "string", PolicyName: "string", PolicyDocument: "string" },
    send: (d, p) => iamGateway(d.iam).putRolePolicy(s(p, "RoleName"), s(p, "PolicyName"), s(p, "PolicyDocument")),
  },
  UpdateAccountPasswordPolicy: {
    service: "iam",
    required: {
      MinimumPasswordLength: "number",
      RequireSymbols: "boolean",
      RequireNumbers: "boolean",
      RequireUppercaseCharacters: "boolean",
      RequireLowercaseCharacters: "boolean",
      AllowUsersToChangePassword: "boolean",
      HardExpiry: "boolean",
    },
    optional: { MaxPasswordAge: "number", PasswordReusePrevention: "number" },
    send: (d, p) =>
      iamGateway(d.iam).updateAccountPasswordPolicy({
          MinimumPasswordLength: p.MinimumPasswordLength as number,
          RequireSymbols: p.RequireSymbols as boolean,
          RequireNumbers: p.RequireNumbers as boolean,
          RequireUppercaseCharacters: p.RequireUppercaseCharacters as boolean,
          RequireLowercaseCharacters: p.RequireLowercaseCharacters as boolean,
          AllowUsersToChangePassword: p.AllowUsersToChangePassword as boolean,
          HardExpiry: p.HardExpiry as boolean,
          ...(p.MaxPasswordAge !== undefined ? { MaxPasswordAge: p.MaxPasswordAge as number } : {}),
          ...(p.PasswordReusePrevention !== undefined ? { PasswordReusePrevention: p.PasswordReusePrevention as number } : {}),
        }),
  },
  StartLogging: {
    service: "cloudtrail",
    required: { Name: "string" },
    send: (d, p) => cloudTrailGateway(cloudtrail(d)).startLogging(s(p, "Name")),
  },
  AddTags: {
    service: "cloudtrail",
    required: { ResourceId: "string", TagsList: "tags" },
    send: (d, p) => cloudTrailGateway(cloudtrail(d)).addTags(s(p, "ResourceId"), tags(p, "TagsList")),
  },
  ...RESTORE_APIS,
});

export function allowedApi(api: unknown): AllowedApi | undefined {
  return typeof api === "string" && Object.hasOwn(ALLOWED_APIS, api) ? ALLOWED_APIS[api] : undefined;
}

/** Why a stored call cannot be sent as is, or null when it matches the allow-list exactly. */
export function checkCall(call: unknown): string | null {
  if (call === null || typeof call !== "object") return "a planned call is not an object";
  const c = call as { api?: unknown; params?: unknown; description?: unknown };
  const spec = allowedApi(c.api);
  if (!spec) return `API ${typeof c.api === "string" ? JSON.stringify(c.api.slice(0, 80)) : "(none)"} is not on the allow-list`;
  const api = c.api as string;
  if (c.params === null || typeof c.params !== "object" || Array.isArray(c.params)) return `${api} has no parameters`;
  const params = c.params as Record<string, unknown>;
  const fields: Record<string, FieldType> = { ...spec.required, ...spec.optional };
  for (const key of Object.keys(params)) {
    if (!Object.hasOwn(fields, key)) return `${api} has an unexpected parameter ${key}`;
  }
  for (const [key, type] of Object.entries(fields)) {
    const value = params[key];
    if (value === undefined) {
      if (Object.hasOwn(spec.required, key)) return `${api} is missing ${key}`;
      continue;
    }
    if (!fieldOk(type, value)) return `${api} parameter ${key} has the wrong type`;
  }
  return null;
}

function fieldOk(type: FieldType, value: unknown): boolean {
  switch (type) {
    case "string":
      return typeof value === "string" && value !== "";
    case "boolean":
      return typeof value === "boolean";
    case "number":
      return typeof value === "number" && Number.isInteger(value);
    case "status":
      return value === "Active" || value === "Inactive";
    case "strings":
      return Array.isArray(value) && value.every((v) => typeof v === "string" && v !== "");
    case "tags":
      return (
        Array.isArray(value) &&
        value.every(
          (t) => t !== null && typeof t === "object" && typeof (t as Tag).Key === "string" && typeof (t as Tag).Value === "string",
        )
      );
  }
}
