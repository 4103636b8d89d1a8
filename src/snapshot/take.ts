// Reads an account's IAM into an IamSnapshot. GetAccountAuthorizationDetails gives most of it in a few
// pages; the rest (role descriptions and session lengths, instance-profile tags, policy tags, OIDC/SAML
// providers, SSH keys and signing certificates, alias, password policy) needs its own calls. Only the
// authorization details are essential: any other part that fails is recorded in `gaps` and the snapshot
// is still kept, so one missing permission does not cost every restore.
import {
  GetAccountPasswordPolicyCommand,
  GetInstanceProfileCommand,
  GetOpenIDConnectProviderCommand,
  GetSAMLProviderCommand,
  GetSSHPublicKeyCommand,
  ListAccountAliasesCommand,
  ListOpenIDConnectProvidersCommand,
  ListSAMLProvidersCommand,
  paginateGetAccountAuthorizationDetails,
  paginateListInstanceProfiles,
  paginateListPolicyTags,
  paginateListRoles,
  paginateListSigningCertificates,
  paginateListSSHPublicKeys,
  type IAMClient,
  type Tag,
} from "@aws-sdk/client-iam";
import { awsErrorInfo, isNotFound } from "../remediation/aws.js";
import type { IamSnapshot, SnapInlinePolicy, SnapPolicy, SnapRole, SnapTag, SnapUser } from "./model.js";

export interface TakeResult {
  snapshot: IamSnapshot;
  /** AWS calls made (pages count one each). */
  calls: number;
}

/** IAM returns policy documents URL-encoded (moto sometimes raw JSON); stored decoded. */
export function decodeDocument(doc: string | undefined): string {
  if (!doc) return "";
  const trimmed = doc.trimStart();
  return trimmed.startsWith("{") ? doc : decodeURIComponent(doc);
}

const tags = (list: Tag[] | undefined): SnapTag[] =>
  (list ?? []).filter((t): t is SnapTag => typeof t.Key === "string" && typeof t.Value === "string").map((t) => ({ Key: t.Key, Value: t.Value })).sort((a, b) => a.Key.localeCompare(b.Key));

const byName = <T extends { name: string }>(a: T, b: T) => a.name.localeCompare(b.name);

const inline = (list: { PolicyName?: string; PolicyDocument?: string }[] | undefined): SnapInlinePolicy[] =>
  (list ?? []).map((p) => ({ name: p.PolicyName ?? "", document: decodeDocument(p.PolicyDocument) })).sort(byName);

const arns = (list: { PolicyArn?: string }[] | undefined): string[] => (list ?? []).map((p) => p.PolicyArn ?? "").filter(Boolean).sort();

/** Runs `fn` over items with at most `limit` in flight (IAM throttles bursts). */
async function eachLimited<T>(items: T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
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
  const info = awsErrorInfo(error);
  return `${info.errorName}: ${info.message}`.slice(0, 300);
}

export async function takeSnapshot(iam: IAMClient, opts: { concurrency?: number } = {}): Promise<TakeResult> {
  const concurrency = opts.concurrency ?? 8;
  let calls = 0;
  const gaps: string[] = [];
  const roles: SnapRole[] = [];
  const users: SnapUser[] = [];
  const groups: IamSnapshot["groups"] = [];
  const policies: SnapPolicy[] = [];
  const profileNamesByRole = new Map<string, string[]>();

  // Essential: if this fails the whole snapshot fails (the caller logs it).
  // AWS-managed policies are left out: they cannot be deleted, and they would dominate the size.
  for await (const page of paginateGetAccountAuthorizationDetails({ client: iam }, { Filter: ["User", "Role", "Group", "LocalManagedPolicy"] })) {
    calls++;
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
    for await (const page of paginateListRoles({ client: iam }, {})) {
      calls++;
      for (const r of page.Roles ?? []) {
        const snap = byRole.get(r.RoleName ?? "");
        if (!snap) continue;
        if (r.Description) snap.description = r.Description;
        if (r.MaxSessionDuration !== undefined) snap.maxSessionDuration = r.MaxSessionDuration;
      }
    }
  } catch (error) {
    gaps.push(`role descriptions and session lengths (ListRoles): ${describe(error)}`);
  }

  const instanceProfiles: IamSnapshot["instanceProfiles"] = [];
  try {
    const names: string[] = [];
    for await (const page of paginateListInstanceProfiles({ client: iam }, {})) {
      calls++;
      for (const p of page.InstanceProfiles ?? []) if (p.InstanceProfileName) names.push(p.InstanceProfileName);
    }
    // GetInstanceProfile carries the tags (ListInstanceProfiles does not; moto lacks ListInstanceProfileTags).
    await eachLimited(names, concurrency, async (name) => {
      calls++;
      try {
        const p = (await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: name }))).InstanceProfile;
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
        if (!isNotFound(awsErrorInfo(error))) throw error; // deleted while we read: simply not in the snapshot
      }
    });
  } catch (error) {
    gaps.push(`instance profiles (ListInstanceProfiles/GetInstanceProfile): ${describe(error)}`);
  }

  try {
    await eachLimited(policies, concurrency, async (p) => {
      const list: Tag[] = [];
      for await (const page of paginateListPolicyTags({ client: iam }, { PolicyArn: p.arn })) {
        calls++;
        list.push(...(page.Tags ?? []));
      }
      p.tags = tags(list);
    });
  } catch (error) {
    gaps.push(`customer managed policy tags (ListPolicyTags): ${describe(error)}`);
  }

  try {
    await eachLimited(users, concurrency, async (u) => {
      for await (const page of paginateListSSHPublicKeys({ client: iam }, { UserName: u.name })) {
        calls++;
        for (const k of page.SSHPublicKeys ?? []) {
          if (!k.SSHPublicKeyId) continue;
          calls++;
          const full = await iam.send(new GetSSHPublicKeyCommand({ UserName: u.name, SSHPublicKeyId: k.SSHPublicKeyId, Encoding: "SSH" }));
          const body = full.SSHPublicKey?.SSHPublicKeyBody;
          if (body) u.sshPublicKeys.push({ id: k.SSHPublicKeyId, body, status: k.Status ?? "Active" });
        }
      }
      for await (const page of paginateListSigningCertificates({ client: iam }, { UserName: u.name })) {
        calls++;
        for (const c of page.Certificates ?? []) {
          if (c.CertificateId && c.CertificateBody) u.signingCertificates.push({ id: c.CertificateId, body: c.CertificateBody, status: c.Status ?? "Active" });
        }
      }
      u.sshPublicKeys.sort((a, b) => a.id.localeCompare(b.id));
      u.signingCertificates.sort((a, b) => a.id.localeCompare(b.id));
    });
  } catch (error) {
    gaps.push(`SSH public keys and signing certificates (ListSSHPublicKeys/GetSSHPublicKey/ListSigningCertificates): ${describe(error)}`);
  }

  let accountAlias: string | null = null;
  try {
    calls++;
    accountAlias = (await iam.send(new ListAccountAliasesCommand({}))).AccountAliases?.[0] ?? null;
  } catch (error) {
    gaps.push(`account alias (ListAccountAliases): ${describe(error)}`);
  }

  let passwordPolicy: IamSnapshot["passwordPolicy"] = null;
  try {
    calls++;
    const p = (await iam.send(new GetAccountPasswordPolicyCommand({}))).PasswordPolicy;
    if (p) {
      passwordPolicy = {
        MinimumPasswordLength: p.MinimumPasswordLength ?? 6,
        RequireSymbols: p.RequireSymbols ?? false,
        RequireNumbers: p.RequireNumbers ?? false,
        RequireUppercaseCharacters: p.RequireUppercaseCharacters ?? false,
        RequireLowercaseCharacters: p.RequireLowercaseCharacters ?? false,
        AllowUsersToChangePassword: p.AllowUsersToChangePassword ?? false,
        HardExpiry: p.HardExpiry ?? false,
        ...(p.MaxPasswordAge ? { MaxPasswordAge: p.MaxPasswordAge } : {}),
        ...(p.PasswordReusePrevention ? { PasswordReusePrevention: p.PasswordReusePrevention } : {}),
      };
    }
  } catch (error) {
    if (!isNotFound(awsErrorInfo(error))) gaps.push(`password policy (GetAccountPasswordPolicy): ${describe(error)}`);
  }

  const oidcProviders: IamSnapshot["oidcProviders"] = [];
  try {
    calls++;
    const list = (await iam.send(new ListOpenIDConnectProvidersCommand({}))).OpenIDConnectProviderList ?? [];
    for (const entry of list) {
      if (!entry.Arn) continue;
      calls++;
      const p = await iam.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: entry.Arn }));
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
    calls++;
    const list = (await iam.send(new ListSAMLProvidersCommand({}))).SAMLProviderList ?? [];
    for (const entry of list) {
      if (!entry.Arn) continue;
      calls++;
      const p = await iam.send(new GetSAMLProviderCommand({ SAMLProviderArn: entry.Arn }));
      samlProviders.push({ arn: entry.Arn, name: entry.Arn.slice(entry.Arn.lastIndexOf("/") + 1), metadata: p.SAMLMetadataDocument ?? "", tags: tags(p.Tags) });
    }
  } catch (error) {
    gaps.push(`SAML providers (ListSAMLProviders/GetSAMLProvider): ${describe(error)}`);
  }

  const accountId = roles[0]?.arn.split(":")[4] ?? users[0]?.arn.split(":")[4];
  return {
    calls,
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
