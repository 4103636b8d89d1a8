// Reads an account's IAM into an IamSnapshot. GetAccountAuthorizationDetails gives most of it in a few
// pages; the rest (role descriptions and session lengths, instance-profile tags, policy tags, OIDC/SAML
// providers, SSH keys and signing certificates, alias, password policy) needs its own calls. Only the
// authorization details are essential: any other part that fails is recorded in `gaps` and the snapshot
// is still kept, so one missing permission does not cost every restore.
import type { IAMClient, Tag } from "@aws-sdk/client-iam";
import { classifyAwsError } from "../aws/errors.js";
import { IamGateway } from "../aws/iam-gateway.js";
import { passwordPolicySettings } from "../domain.js";
import type { IamSnapshot, SnapInlinePolicy, SnapPolicy, SnapRole, SnapTag, SnapUser } from "./model.js";

export interface TakeResult {
  snapshot: IamSnapshot;
  /** AWS calls made (pages count one each). */
  calls: number;
}

/** IAM returns policy documents URL-encoded (moto sometimes raw JSON); stored decoded. */
function decodeDocument(doc: string | undefined): string {
  if (!doc) return "";
  const trimmed = doc.trimStart();
  return trimmed.startsWith("{") ? doc : decodeURIComponent(doc);
}

const tags = (list: Tag[] | undefined): SnapTag[] =>
  (list ?? []).filter((t): t is SnapTag => typeof t.Key === "string" && typeof t.Value === "string").map((t) => ({ Key: t.Key, Value: t.Value })).sort((a, b) => a.Key.localeCompare(b.Key));

const byName = <T extends { name: string }>(a: T, b: T) => a.name.localeCompare(b.name);

const inline = (list: { PolicyName?: string | undefined; PolicyDocument?: string | undefined }[] | undefined): SnapInlinePolicy[] =>
  (list ?? []).map((p) => ({ name: p.PolicyName ?? "", document: decodeDocument(p.PolicyDocument) })).sort(byName);

const arns = (list: { PolicyArn?: string | undefined }[] | undefined): string[] => (list ?? []).map((p) => p.PolicyArn ?? "").filter(Boolean).sort();

/** Runs `fn` over items with at most `limit` in flight (IAM throttles bursts). */
export async function eachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const item = items[next++] as T;
      await fn(item);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
}

function describe(error: unknown): string {
  const info = classifyAwsError(error);
  return `${info.code}: ${info.message}`.slice(0, 300);
}

export async function takeSnapshot(iam: IAMClient, opts: { concurrency?: number } = {}): Promise<TakeResult> {
  const concurrency = opts.concurrency ?? 8;
  // The gateway counts every request, one per page.
  const gw = new IamGateway(iam);
  const gaps: string[] = [];
  const roles: SnapRole[] = [];
  const users: SnapUser[] = [];
  const groups: IamSnapshot["groups"] = [];
  const policies: SnapPolicy[] = [];
  const profileNamesByRole = new Map<string, string[]>();

  // Essential: if this fails the whole snapshot fails (the caller logs it).
  // AWS-managed policies are left out: they cannot be deleted, and they would dominate the size.
  for await (const page of gw.authorizationDetailsPages(["User", "Role", "Group", "LocalManagedPolicy"])) {
    for (const r of page.RoleDetailList ?? []) {
      const name = r.RoleName ?? "";
      profileNamesByRole.set(name, (r.InstanceProfileList ?? []).map((p) => p.InstanceProfileName ?? "").filter(Boolean).sort());
      roles.push({
        name,
        id: r.RoleId ?? "",
        arn: r.Arn ?? "",
        path: r.Path ?? "/",
        ...(r.CreateDate ? { createDate: new Date(r.CreateDate).toISOString() } : {}),
        trustPolicy: decodeDocument(r.AssumeRolePolicyDocument),
        ...(r.PermissionsBoundary?.PermissionsBoundaryArn ? { boundaryArn: r.PermissionsBoundary.PermissionsBoundaryArn } : {}),
        tags: tags(r.Tags),
        inlinePolicies: inline(r.RolePolicyList),
        managedPolicyArns: arns(r.AttachedManagedPolicies),
        instanceProfileNames: profileNamesByRole.get(name) ?? [],
      });
    }
    for (const u of page.UserDetailList ?? []) {
      users.push({
        name: u.UserName ?? "",
        id: u.UserId ?? "",
        arn: u.Arn ?? "",
        path: u.Path ?? "/",
        ...(u.CreateDate ? { createDate: new Date(u.CreateDate).toISOString() } : {}),
        ...(u.PermissionsBoundary?.PermissionsBoundaryArn ? { boundaryArn: u.PermissionsBoundary.PermissionsBoundaryArn } : {}),
        tags: tags(u.Tags),
        groups: [...(u.GroupList ?? [])].sort(),
        inlinePolicies: inline(u.UserPolicyList),
        managedPolicyArns: arns(u.AttachedManagedPolicies),
        sshPublicKeys: [],
        signingCertificates: [],
      });
    }
    for (const g of page.GroupDetailList ?? []) {
      groups.push({
        name: g.GroupName ?? "",
        id: g.GroupId ?? "",
        arn: g.Arn ?? "",
        path: g.Path ?? "/",
        inlinePolicies: inline(g.GroupPolicyList),
        managedPolicyArns: arns(g.AttachedManagedPolicies),
      });
    }
    for (const p of page.Policies ?? []) {
      const versions = (p.PolicyVersionList ?? [])
        .map((v) => ({ versionId: v.VersionId ?? "", isDefault: v.IsDefaultVersion === true, document: decodeDocument(v.Document) }))
        .sort((a, b) => a.versionId.localeCompare(b.versionId));
      const arn = p.Arn ?? "";
      policies.push({
        // moto leaves PolicyName out of the authorization details; the ARN ends with it.
        name: p.PolicyName || arn.slice(arn.lastIndexOf("/") + 1),
        id: p.PolicyId ?? "",
        arn,
        path: p.Path ?? "/",
        ...(p.Description ? { description: p.Description } : {}),
        defaultVersionId: p.DefaultVersionId ?? versions.find((v) => v.isDefault)?.versionId ?? "",
        versions,
        tags: [],
      });
    }
  }

  // Description and MaxSessionDuration are not in the authorization details.
  try {
    const byRole = new Map(roles.map((r) => [r.name, r]));
    for (const r of await gw.listRoles()) {
      const snap = byRole.get(r.RoleName ?? "");
      if (!snap) continue;
      if (r.Description) snap.description = r.Description;
      if (r.MaxSessionDuration !== undefined) snap.maxSessionDuration = r.MaxSessionDuration;
    }
  } catch (error) {
    gaps.push(`role descriptions and session lengths (ListRoles): ${describe(error)}`);
  }

  const instanceProfiles: IamSnapshot["instanceProfiles"] = [];
  try {
    const names = (await gw.listInstanceProfiles()).flatMap((p) => (p.InstanceProfileName ? [p.InstanceProfileName] : []));
    // GetInstanceProfile carries the tags (ListInstanceProfiles does not; moto lacks ListInstanceProfileTags).
    await eachLimited(names, concurrency, async (name) => {
      try {
        const p = (await gw.getInstanceProfile(name)).InstanceProfile;
        if (!p) return;
        instanceProfiles.push({
          name,
          id: p.InstanceProfileId ?? "",
          arn: p.Arn ?? "",
          path: p.Path ?? "/",
          roleNames: (p.Roles ?? []).map((r) => r.RoleName ?? "").filter(Boolean).sort(),
          tags: tags(p.Tags),
        });
      } catch (error) {
        if (classifyAwsError(error).kind !== "not-found") throw error; // deleted while we read: simply not in the snapshot
      }
    });
  } catch (error) {
    gaps.push(`instance profiles (ListInstanceProfiles/GetInstanceProfile): ${describe(error)}`);
  }

  try {
    await eachLimited(policies, concurrency, async (p) => {
      p.tags = tags(await gw.listPolicyTags(p.arn));
    });
  } catch (error) {
    gaps.push(`customer managed policy tags (ListPolicyTags): ${describe(error)}`);
  }

  try {
    await eachLimited(users, concurrency, async (u) => {
      for (const k of await gw.listSSHPublicKeys(u.name)) {
        if (!k.SSHPublicKeyId) continue;
        const full = await gw.getSSHPublicKey(u.name, k.SSHPublicKeyId);
        const body = full.SSHPublicKey?.SSHPublicKeyBody;
        if (body) u.sshPublicKeys.push({ id: k.SSHPublicKeyId, body, status: k.Status ?? "Active" });
      }
      for (const c of await gw.listSigningCertificates(u.name)) {
        if (c.CertificateId && c.CertificateBody) u.signingCertificates.push({ id: c.CertificateId, body: c.CertificateBody, status: c.Status ?? "Active" });
      }
      u.sshPublicKeys.sort((a, b) => a.id.localeCompare(b.id));
      u.signingCertificates.sort((a, b) => a.id.localeCompare(b.id));
    });
  } catch (error) {
    gaps.push(`SSH public keys and signing certificates (ListSSHPublicKeys/GetSSHPublicKey/ListSigningCertificates): ${describe(error)}`);
  }

  let accountAlias: string | null = null;
  try {
    accountAlias = (await gw.listAccountAliases())[0] ?? null;
  } catch (error) {
    gaps.push(`account alias (ListAccountAliases): ${describe(error)}`);
  }

  let passwordPolicy: IamSnapshot["passwordPolicy"] = null;
  try {
    const p = (await gw.getAccountPasswordPolicy()).PasswordPolicy;
    if (p) {
      const { MaxPasswordAge, PasswordReusePrevention, ...settings } = passwordPolicySettings(p);
      passwordPolicy = { ...settings, ...(MaxPasswordAge ? { MaxPasswordAge } : {}), ...(PasswordReusePrevention ? { PasswordReusePrevention } : {}) };
    }
  } catch (error) {
    if (classifyAwsError(error).kind !== "not-found") gaps.push(`password policy (GetAccountPasswordPolicy): ${describe(error)}`);
  }

  const oidcProviders: IamSnapshot["oidcProviders"] = [];
  try {
    const list = await gw.listOpenIDConnectProviders();
    for (const entry of list) {
      if (!entry.Arn) continue;
      const p = await gw.getOpenIDConnectProvider(entry.Arn);
      oidcProviders.push({
        arn: entry.Arn,
        url: p.Url ?? "",
        clientIds: [...(p.ClientIDList ?? [])].sort(),
        thumbprints: [...(p.ThumbprintList ?? [])].sort(),
        tags: tags(p.Tags),
      });
    }
  } catch (error) {
    gaps.push(`OIDC providers (ListOpenIDConnectProviders/GetOpenIDConnectProvider): ${describe(error)}`);
  }

  const samlProviders: IamSnapshot["samlProviders"] = [];
  try {
    const list = await gw.listSAMLProviders();
    for (const entry of list) {
      if (!entry.Arn) continue;
      const p = await gw.getSAMLProvider(entry.Arn);
      samlProviders.push({ arn: entry.Arn, name: entry.Arn.slice(entry.Arn.lastIndexOf("/") + 1), metadata: p.SAMLMetadataDocument ?? "", tags: tags(p.Tags) });
    }
  } catch (error) {
    gaps.push(`SAML providers (ListSAMLProviders/GetSAMLProvider): ${describe(error)}`);
  }

  const accountId = roles[0]?.arn.split(":")[4] ?? users[0]?.arn.split(":")[4];
  return {
    calls: gw.calls,
    snapshot: {
      formatVersion: 1,
      ...(accountId ? { accountId } : {}),
      roles: roles.sort(byName),
      users: users.sort(byName),
      groups: groups.sort(byName),
      policies: policies.sort((a, b) => a.arn.localeCompare(b.arn)),
      instanceProfiles: instanceProfiles.sort(byName),
      accountAlias,
      passwordPolicy,
      oidcProviders: oidcProviders.sort((a, b) => a.arn.localeCompare(b.arn)),
      samlProviders: samlProviders.sort((a, b) => a.arn.localeCompare(b.arn)),
      gaps,
    },
  };
}
