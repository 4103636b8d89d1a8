// Turns the resources a CloudTrail record names into AffectedResource rows with human labels: first the
// scalar values of requestParameters, else the record's resources[] (ARN/type), else (LookupEvents) the
// summary Resources. Values are raw text, bounded; at most MAX_RESOURCES rows.
import type { AffectedResource } from "../domain.js";
import { LIMITS, MAX_RESOURCES, bound, field, isObject, text } from "./normalize-values.js";

/** Labels for the IAM request parameters of the deletion APIs (and a few that ride along). */
const PARAMETER_LABELS: Readonly<Record<string, string>> = {
  roleName: "Role",
  instanceProfileName: "Instance profile",
  policyArn: "Policy ARN",
  policyName: "Inline policy",
  userName: "User",
  groupName: "Group",
  accountAlias: "Account alias",
  accessKeyId: "Access key",
  serialNumber: "MFA device",
  openIDConnectProviderArn: "OIDC provider",
  clientID: "Client ID",
  sAMLProviderArn: "SAML provider",
  sSHPublicKeyId: "SSH public key",
  serverCertificateName: "Server certificate",
  serviceSpecificCredentialId: "Service credential",
  certificateId: "Signing certificate",
  versionId: "Policy version",
  permissionsBoundary: "Permissions boundary",
  virtualMFADeviceName: "Virtual MFA device",
  awsServiceName: "AWS service",
  deletionTaskId: "Deletion task",
  policyDocument: "Policy document",
  assumeRolePolicyDocument: "Trust policy",
  path: "Path",
  status: "Status",
  tagKeys: "Tag key",
};

/** Labels for CloudTrail resources[].type / LookupEvents ResourceType values. */
const RESOURCE_TYPE_LABELS: Readonly<Record<string, string>> = {
  "AWS::IAM::Role": "Role",
  "AWS::IAM::User": "User",
  "AWS::IAM::Group": "Group",
  "AWS::IAM::Policy": "Policy",
  "AWS::IAM::ManagedPolicy": "Policy",
  "AWS::IAM::InstanceProfile": "Instance profile",
  "AWS::IAM::AccessKey": "Access key",
  "AWS::IAM::MFADevice": "MFA device",
  "AWS::IAM::VirtualMFADevice": "MFA device",
  "AWS::IAM::OIDCProvider": "OIDC provider",
  "AWS::IAM::SAMLProvider": "SAML provider",
  "AWS::IAM::ServerCertificate": "Server certificate",
};

/**
 * "someKeyName" -> "Some key name", "sAMLMetadataDocument" -> "SAML metadata document",
 * "max_items" -> "Max items". Acronyms (two or more capitals) keep their case.
 */
export function humanizeKey(key: string): string {
  const words = key
    .replace(/[_\-.:]+/g, " ")
    // "sAML" (one lower-case letter then capitals, AWS's lowerCamelCase of an acronym) -> "SAML"
    .replace(/^([a-z])([A-Z]{2,})/, (_m, a: string, b: string) => a.toUpperCase() + b)
    .replace(/([a-z0-9])([A-Z])/g, "$1 $2")
    .replace(/([A-Z]+)([A-Z][a-z])/g, "$1 $2")
    .split(/\s+/)
    .filter((w) => w !== "");
  if (words.length === 0) return "Value";
  const out = words.map((w, i) => {
    if (/^[A-Z0-9]{2,}$/.test(w) && /[A-Z]/.test(w)) return w; // acronym
    const lower = w.toLowerCase();
    return i === 0 ? lower.charAt(0).toUpperCase() + lower.slice(1) : lower;
  });
  return out.join(" ");
}

function labelForParameter(key: string): string {
  return Object.hasOwn(PARAMETER_LABELS, key) ? (PARAMETER_LABELS[key] ?? humanizeKey(key)) : humanizeKey(key);
}

function labelForResourceType(type: string): string {
  if (Object.hasOwn(RESOURCE_TYPE_LABELS, type)) return RESOURCE_TYPE_LABELS[type] ?? type;
  const last = type.split("::").pop() ?? type;
  return humanizeKey(last);
}

function scalarText(v: unknown): string | undefined {
  if (typeof v === "boolean") return String(v);
  return text(v, LIMITS.resourceValue);
}

/**
 * One row per scalar value of requestParameters, in the record's key order; arrays of scalars give one row
 * per element; nested objects, null and empty strings are skipped.
 */
export function resourcesFromParameters(params: Record<string, unknown> | null): AffectedResource[] {
  const out: AffectedResource[] = [];
  if (!params) return out;
  for (const key of Object.keys(params)) {
    if (out.length >= MAX_RESOURCES) break;
    const value = params[key];
    const values = Array.isArray(value) ? value : [value];
    const kind = bound(key, LIMITS.short);
    for (const v of values) {
      if (out.length >= MAX_RESOURCES) break;
      const t = scalarText(v);
      if (t !== undefined) out.push({ kind, label: labelForParameter(kind), value: t });
    }
  }
  return out;
}

/** From a log record's resources[]: [{ ARN, accountId, type }]. Case-insensitive keys. */
export function resourcesFromRecordResources(resources: unknown): AffectedResource[] {
  const out: AffectedResource[] = [];
  if (!Array.isArray(resources)) return out;
  for (const r of resources) {
    if (out.length >= MAX_RESOURCES) break;
    const value = text(field(r, "ARN"), LIMITS.resourceValue);
    if (value === undefined) continue;
    const type = text(field(r, "type"), LIMITS.short);
    out.push({ kind: type ?? "resource", label: type ? labelForResourceType(type) : "Resource", value });
  }
  return out;
}

/** From LookupEvents summary Resources: [{ ResourceType, ResourceName }]. */
export function resourcesFromLookupSummary(resources: unknown): AffectedResource[] {
  const out: AffectedResource[] = [];
  if (!Array.isArray(resources)) return out;
  for (const r of resources) {
    if (out.length >= MAX_RESOURCES) break;
    if (!isObject(r)) continue;
    const value = text(r["ResourceName"], LIMITS.resourceValue);
    if (value === undefined) continue;
    const type = text(r["ResourceType"], LIMITS.short);
    out.push({ kind: type ?? "resource", label: type ? labelForResourceType(type) : "Resource", value });
  }
  return out;
}
