// Read-back checks for the restore APIs, merged into ../verify.ts: each reads the resource again and
// compares what matters (path, documents, boundary, tags), not just that it exists.
import { decodePolicyDocument, stableJson } from "../aws.js";
import type { Check, Checker } from "../verify.js";
import { iamGateway } from "../../aws/iam-gateway.js";

const str = (p: Record<string, unknown>, k: string) => String(p[k]);
const stripScheme = (url: string) => url.replace(/^https:\/\//, "");

function sameDocument(got: string | undefined, want: unknown): boolean {
  try {
    return stableJson(decodePolicyDocument(got ?? "")) === stableJson(JSON.parse(String(want)));
  } catch {
    return false;
  }
}

function missingTags(actual: { Key?: string | undefined; Value?: string | undefined }[] | undefined, wanted: unknown): string[] {
  return ((wanted as { Key: string; Value: string }[] | undefined) ?? [])
    .filter((w) => actual?.find((t) => t.Key === w.Key)?.Value !== w.Value)
    .map((w) => `${w.Key}=${w.Value}`);
}

/** An inline policy read back (GetUserPolicy, GetGroupPolicy, GetRolePolicy) against the planned document. */
export function inlinePolicyCheck(owner: string, name: string, got: string | undefined, want: unknown, via: string): Check {
  const same = sameDocument(got, want);
  return { ok: same, detail: `inline policy ${name} on ${owner} ${same ? "has the planned document" : "differs from the planned document"} (${via})` };
}

function result(what: string, problems: string[], via: string): Check {
  return problems.length === 0
    ? { ok: true, detail: `${what} is back as planned (${via})` }
    : { ok: false, detail: `${what} differs from the plan: ${problems.join("; ")} (${via})` };
}

export const RESTORE_CHECKS: Record<string, Checker> = {
  async CreateRole(deps, p) {
    const name = str(p, "RoleName");
    const role = (await iamGateway(deps.iam).getRole(name)).Role;
    const tags = await iamGateway(deps.iam).listRoleTags(name);
    const problems: string[] = [];
    if (role?.Path !== p.Path) problems.push(`path is ${role?.Path ?? "none"}`);
    if (!sameDocument(role?.AssumeRolePolicyDocument, p.AssumeRolePolicyDocument)) problems.push("trust policy differs");
    if (p.Description !== undefined && role?.Description !== p.Description) problems.push(`description is ${JSON.stringify(role?.Description ?? "")}`);
    if (p.MaxSessionDuration !== undefined && role?.MaxSessionDuration !== p.MaxSessionDuration) problems.push(`max session is ${role?.MaxSessionDuration ?? "?"} s`);
    if ((role?.PermissionsBoundary?.PermissionsBoundaryArn ?? undefined) !== p.PermissionsBoundary) problems.push(`boundary is ${role?.PermissionsBoundary?.PermissionsBoundaryArn ?? "none"}`);
    const missing = missingTags(tags, p.Tags);
    if (missing.length > 0) problems.push(`tags missing: ${missing.join(", ")}`);
    return result(`role ${name} (new RoleId ${role?.RoleId ?? "?"})`, problems, "GetRole, ListRoleTags");
  },
  async CreateInstanceProfile(deps, p) {
    const name = str(p, "InstanceProfileName");
    const ip = (await iamGateway(deps.iam).getInstanceProfile(name)).InstanceProfile;
    const problems: string[] = [];
    if (ip?.Path !== p.Path) problems.push(`path is ${ip?.Path ?? "none"}`);
    const missing = missingTags(ip?.Tags, p.Tags);
    if (missing.length > 0) problems.push(`tags missing: ${missing.join(", ")}`);
    return result(`instance profile ${name}`, problems, "GetInstanceProfile");
  },
  async PutUserPolicy(deps, p) {
    const user = str(p, "UserName");
    const name = str(p, "PolicyName");
    return inlinePolicyCheck(`user ${user}`, name, (await iamGateway(deps.iam).getUserPolicy(user, name)).PolicyDocument, p.PolicyDocument, "GetUserPolicy");
  },
  async PutGroupPolicy(deps, p) {
    const group = str(p, "GroupName");
    const name = str(p, "PolicyName");
    return inlinePolicyCheck(`group ${group}`, name, (await iamGateway(deps.iam).getGroupPolicy(group, name)).PolicyDocument, p.PolicyDocument, "GetGroupPolicy");
  },
  async CreateUser(deps, p) {
    const name = str(p, "UserName");
    const user = (await iamGateway(deps.iam).getUser(name)).User;
    const tags = await iamGateway(deps.iam).listUserTags(name);
    const problems: string[] = [];
    if (user?.Path !== p.Path) problems.push(`path is ${user?.Path ?? "none"}`);
    if ((user?.PermissionsBoundary?.PermissionsBoundaryArn ?? undefined) !== p.PermissionsBoundary) problems.push(`boundary is ${user?.PermissionsBoundary?.PermissionsBoundaryArn ?? "none"}`);
    const missing = missingTags(tags, p.Tags);
    if (missing.length > 0) problems.push(`tags missing: ${missing.join(", ")}`);
    return result(`user ${name} (new UserId ${user?.UserId ?? "?"})`, problems, "GetUser, ListUserTags");
  },
  async CreateGroup(deps, p) {
    const name = str(p, "GroupName");
    const group = (await iamGateway(deps.iam).getGroup(name)).Group;
    return result(`group ${name}`, group?.Path === p.Path ? [] : [`path is ${group?.Path ?? "none"}`], "GetGroup");
  },
  async CreatePolicy(deps, p) {
    const name = str(p, "PolicyName");
    const arn = `${policyArnPrefix(deps)}${str(p, "Path")}${name}`;
    const policy = (await iamGateway(deps.iam).getPolicy(arn)).Policy;
    const version = await iamGateway(deps.iam).getPolicyVersion(arn, policy?.DefaultVersionId ?? "v1");
    const problems: string[] = [];
    if (!sameDocument(version.PolicyVersion?.Document, p.PolicyDocument)) problems.push("default version document differs");
    if (p.Description !== undefined && policy?.Description !== p.Description) problems.push("description differs");
    return result(`policy ${arn}`, problems, "GetPolicy, GetPolicyVersion");
  },
  async TagPolicy(deps, p) {
    const arn = str(p, "PolicyArn");
    const tags = await iamGateway(deps.iam).listPolicyTags(arn);
    const missing = missingTags(tags, p.Tags);
    return result(`the tags of policy ${arn}`, missing.length > 0 ? [`tags missing: ${missing.join(", ")}`] : [], "ListPolicyTags");
  },
  async CreatePolicyVersion(deps, p) {
    const arn = str(p, "PolicyArn");
    const versions = await iamGateway(deps.iam).listPolicyVersions(arn);
    for (const v of versions) {
      const doc = await iamGateway(deps.iam).getPolicyVersion(arn, v.VersionId ?? "");
      if (sameDocument(doc.PolicyVersion?.Document, p.PolicyDocument) && (v.IsDefaultVersion === true) === (p.SetAsDefault === true)) {
        return { ok: true, detail: `policy ${arn} has version ${v.VersionId ?? "?"} with the planned document (ListPolicyVersions, GetPolicyVersion)` };
      }
    }
    return { ok: false, detail: `policy ${arn} has no version with the planned document (ListPolicyVersions, GetPolicyVersion)` };
  },
  async CreateOpenIDConnectProvider(deps, p) {
    const host = stripScheme(str(p, "Url"));
    const list = await iamGateway(deps.iam).listOpenIDConnectProviders();
    const arn = list.map((e) => e.Arn ?? "").find((a) => a.endsWith(`:oidc-provider/${host}`));
    if (!arn) return { ok: false, detail: `no OIDC provider for ${host} (ListOpenIDConnectProviders)` };
    const got = await iamGateway(deps.iam).getOpenIDConnectProvider(arn);
    const missing = (p.ClientIDList as string[]).filter((c) => !(got.ClientIDList ?? []).includes(c));
    return result(`OIDC provider ${host}`, missing.length > 0 ? [`client ids missing: ${missing.join(", ")}`] : [], "GetOpenIDConnectProvider");
  },
  async AddClientIDToOpenIDConnectProvider(deps, p) {
    const arn = str(p, "OpenIDConnectProviderArn");
    const got = await iamGateway(deps.iam).getOpenIDConnectProvider(arn);
    const ok = (got.ClientIDList ?? []).includes(str(p, "ClientID"));
    return { ok, detail: `client id ${str(p, "ClientID")} is ${ok ? "" : "NOT "}on OIDC provider ${arn} (GetOpenIDConnectProvider)` };
  },
  async CreateSAMLProvider(deps, p) {
    const name = str(p, "Name");
    const list = await iamGateway(deps.iam).listSAMLProviders();
    const arn = list.map((e) => e.Arn ?? "").find((a) => a.endsWith(`:saml-provider/${name}`));
    if (!arn) return { ok: false, detail: `no SAML provider named ${name} (ListSAMLProviders)` };
    const got = await iamGateway(deps.iam).getSAMLProvider(arn);
    return result(`SAML provider ${name}`, got.SAMLMetadataDocument === p.SAMLMetadataDocument ? [] : ["metadata differs"], "GetSAMLProvider");
  },
  async UploadSSHPublicKey(deps, p) {
    const user = str(p, "UserName");
    const keys = await iamGateway(deps.iam).listSSHPublicKeys(user);
    for (const k of keys) {
      const full = await iamGateway(deps.iam).getSSHPublicKey(user, k.SSHPublicKeyId ?? "");
      if (full.SSHPublicKey?.SSHPublicKeyBody?.trim() === str(p, "SSHPublicKeyBody").trim()) {
        return { ok: true, detail: `user ${user} has the SSH public key again, id ${k.SSHPublicKeyId ?? "?"} (ListSSHPublicKeys, GetSSHPublicKey)` };
      }
    }
    return { ok: false, detail: `user ${user} does not have the SSH public key (ListSSHPublicKeys, GetSSHPublicKey)` };
  },
  async UploadSigningCertificate(deps, p) {
    const user = str(p, "UserName");
    const certs = await iamGateway(deps.iam).listSigningCertificates(user);
    const hit = certs.find((c) => c.CertificateBody?.trim() === str(p, "CertificateBody").trim());
    return { ok: hit !== undefined, detail: `user ${user} ${hit ? `has the signing certificate again, id ${hit.CertificateId ?? "?"}` : "does not have the signing certificate"} (ListSigningCertificates)` };
  },
  async PutRolePermissionsBoundary(deps, p) {
    const name = str(p, "RoleName");
    const role = (await iamGateway(deps.iam).getRole(name)).Role;
    const got = role?.PermissionsBoundary?.PermissionsBoundaryArn;
    return { ok: got === p.PermissionsBoundary, detail: `role ${name} has boundary ${got ?? "none"} (GetRole)` };
  },
  async PutUserPermissionsBoundary(deps, p) {
    const name = str(p, "UserName");
    const user = (await iamGateway(deps.iam).getUser(name)).User;
    const got = user?.PermissionsBoundary?.PermissionsBoundaryArn;
    return { ok: got === p.PermissionsBoundary, detail: `user ${name} has boundary ${got ?? "none"} (GetUser)` };
  },
};

/** "arn:<partition>:iam::<account>:policy" for the bot's account: CreatePolicy's reply is not kept. */
function policyArnPrefix(deps: Parameters<Checker>[0]): string {
  const partition = deps.botIdentity?.arn.split(":")[1] ?? "aws";
  return `arn:${partition}:iam::${deps.botIdentity?.accountId ?? "unknown-account"}:policy`;
}
