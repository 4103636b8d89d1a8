// The IAM calls trailwatch makes, one method each, with the IAM action it needs in IAM_ACTIONS. Lists return
// every page (the SDK's paginators inside). Failures are AwsCallErrors (./errors.ts) naming the action.
// deploy/iam-policy.json must grant every action here (test/deploy/iam-policy.test.ts derives its list from
// this table), and the doctor probes the reads.
import {
  AddClientIDToOpenIDConnectProviderCommand,
  AddRoleToInstanceProfileCommand,
  AddUserToGroupCommand,
  AttachGroupPolicyCommand,
  AttachRolePolicyCommand,
  AttachUserPolicyCommand,
  CreateAccountAliasCommand,
  CreateGroupCommand,
  CreateInstanceProfileCommand,
  CreateOpenIDConnectProviderCommand,
  CreatePolicyCommand,
  CreatePolicyVersionCommand,
  CreateRoleCommand,
  CreateSAMLProviderCommand,
  CreateUserCommand,
  GenerateCredentialReportCommand,
  GetAccessKeyLastUsedCommand,
  GetAccountPasswordPolicyCommand,
  GetAccountSummaryCommand,
  GetCredentialReportCommand,
  GetGroupCommand,
  GetGroupPolicyCommand,
  GetInstanceProfileCommand,
  GetLoginProfileCommand,
  GetOpenIDConnectProviderCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  GetSAMLProviderCommand,
  GetSSHPublicKeyCommand,
  GetUserCommand,
  GetUserPolicyCommand,
  ListOpenIDConnectProvidersCommand,
  ListSAMLProvidersCommand,
  paginateGetAccountAuthorizationDetails,
  paginateGetGroup,
  paginateListAccessKeys,
  paginateListAccountAliases,
  paginateListAttachedGroupPolicies,
  paginateListAttachedRolePolicies,
  paginateListAttachedUserPolicies,
  paginateListGroupPolicies,
  paginateListGroupsForUser,
  paginateListInstanceProfiles,
  paginateListInstanceProfilesForRole,
  paginateListMFADevices,
  paginateListPolicyTags,
  paginateListPolicyVersions,
  paginateListRolePolicies,
  paginateListRoles,
  paginateListRoleTags,
  paginateListSigningCertificates,
  paginateListSSHPublicKeys,
  paginateListUsers,
  paginateListUserTags,
  paginateSimulatePrincipalPolicy,
  PutGroupPolicyCommand,
  PutRolePermissionsBoundaryCommand,
  PutRolePolicyCommand,
  PutUserPermissionsBoundaryCommand,
  PutUserPolicyCommand,
  TagInstanceProfileCommand,
  TagPolicyCommand,
  TagRoleCommand,
  TagUserCommand,
  UpdateAccessKeyCommand,
  UpdateAccountPasswordPolicyCommand,
  UploadSigningCertificateCommand,
  UploadSSHPublicKeyCommand,
  type CreateOpenIDConnectProviderCommandInput,
  type CreatePolicyCommandInput,
  type CreateRoleCommandInput,
  type CreateUserCommandInput,
  type EntityType,
  type GetAccountAuthorizationDetailsCommandOutput,
  type IAMClient,
  type Tag,
  type UpdateAccountPasswordPolicyCommandInput,
} from "@aws-sdk/client-iam";
import { CallCounter } from "./gateway.js";

/** Each IamGateway method and the IAM action it needs. */
export const IAM_ACTIONS = {
  // reads
  getRole: "iam:GetRole",
  getUser: "iam:GetUser",
  getGroup: "iam:GetGroup",
  listGroupUsers: "iam:GetGroup",
  getInstanceProfile: "iam:GetInstanceProfile",
  getRolePolicy: "iam:GetRolePolicy",
  getUserPolicy: "iam:GetUserPolicy",
  getGroupPolicy: "iam:GetGroupPolicy",
  getPolicy: "iam:GetPolicy",
  getPolicyVersion: "iam:GetPolicyVersion",
  getAccountPasswordPolicy: "iam:GetAccountPasswordPolicy",
  getAccountSummary: "iam:GetAccountSummary",
  generateCredentialReport: "iam:GenerateCredentialReport",
  getCredentialReport: "iam:GetCredentialReport",
  getLoginProfile: "iam:GetLoginProfile",
  getAccessKeyLastUsed: "iam:GetAccessKeyLastUsed",
  getOpenIDConnectProvider: "iam:GetOpenIDConnectProvider",
  getSAMLProvider: "iam:GetSAMLProvider",
  getSSHPublicKey: "iam:GetSSHPublicKey",
  listUsers: "iam:ListUsers",
  listRoles: "iam:ListRoles",
  listInstanceProfiles: "iam:ListInstanceProfiles",
  listAccountAliases: "iam:ListAccountAliases",
  listAccessKeys: "iam:ListAccessKeys",
  listMFADevices: "iam:ListMFADevices",
  listAttachedUserPolicies: "iam:ListAttachedUserPolicies",
  listAttachedGroupPolicies: "iam:ListAttachedGroupPolicies",
  listAttachedRolePolicies: "iam:ListAttachedRolePolicies",
  listRolePolicies: "iam:ListRolePolicies",
  listGroupPolicies: "iam:ListGroupPolicies",
  listGroupsForUser: "iam:ListGroupsForUser",
  listInstanceProfilesForRole: "iam:ListInstanceProfilesForRole",
  listUserTags: "iam:ListUserTags",
  listRoleTags: "iam:ListRoleTags",
  listPolicyTags: "iam:ListPolicyTags",
  listPolicyVersions: "iam:ListPolicyVersions",
  listSSHPublicKeys: "iam:ListSSHPublicKeys",
  listSigningCertificates: "iam:ListSigningCertificates",
  listOpenIDConnectProviders: "iam:ListOpenIDConnectProviders",
  listSAMLProviders: "iam:ListSAMLProviders",
  authorizationDetailsPages: "iam:GetAccountAuthorizationDetails",
  simulatePrincipalPolicy: "iam:SimulatePrincipalPolicy",
  // writes (only through the executor's allow-list, src/remediation/calls.ts)
  addRoleToInstanceProfile: "iam:AddRoleToInstanceProfile",
  addUserToGroup: "iam:AddUserToGroup",
  attachUserPolicy: "iam:AttachUserPolicy",
  attachGroupPolicy: "iam:AttachGroupPolicy",
  attachRolePolicy: "iam:AttachRolePolicy",
  createAccountAlias: "iam:CreateAccountAlias",
  tagInstanceProfile: "iam:TagInstanceProfile",
  tagUser: "iam:TagUser",
  tagRole: "iam:TagRole",
  tagPolicy: "iam:TagPolicy",
  updateAccessKey: "iam:UpdateAccessKey",
  updateAccountPasswordPolicy: "iam:UpdateAccountPasswordPolicy",
  putRolePolicy: "iam:PutRolePolicy",
  putUserPolicy: "iam:PutUserPolicy",
  putGroupPolicy: "iam:PutGroupPolicy",
  putRolePermissionsBoundary: "iam:PutRolePermissionsBoundary",
  putUserPermissionsBoundary: "iam:PutUserPermissionsBoundary",
  createRole: "iam:CreateRole",
  createUser: "iam:CreateUser",
  createGroup: "iam:CreateGroup",
  createInstanceProfile: "iam:CreateInstanceProfile",
  createPolicy: "iam:CreatePolicy",
  createPolicyVersion: "iam:CreatePolicyVersion",
  createOpenIDConnectProvider: "iam:CreateOpenIDConnectProvider",
  addClientIDToOpenIDConnectProvider: "iam:AddClientIDToOpenIDConnectProvider",
  createSAMLProvider: "iam:CreateSAMLProvider",
  uploadSSHPublicKey: "iam:UploadSSHPublicKey",
  uploadSigningCertificate: "iam:UploadSigningCertificate",
} as const satisfies Record<string, `iam:${string}`>;

const A = IAM_ACTIONS;

export class IamGateway extends CallCounter {
  /** The paginators' configuration. */
  private readonly pc: { client: IAMClient };

  constructor(readonly client: IAMClient) {
    super();
    this.pc = { client };
  }

  // --- single reads (the SDK's output; callers read .Role, .User, ...) ---

  getRole(roleName: string) {
    return this.one(A.getRole, () => this.client.send(new GetRoleCommand({ RoleName: roleName })));
  }
  getUser(userName: string) {
    return this.one(A.getUser, () => this.client.send(new GetUserCommand({ UserName: userName })));
  }
  /** The group, with at most one member (enough to say it exists). */
  getGroup(groupName: string) {
    return this.one(A.getGroup, () => this.client.send(new GetGroupCommand({ GroupName: groupName, MaxItems: 1 })));
  }
  getInstanceProfile(name: string) {
    return this.one(A.getInstanceProfile, () => this.client.send(new GetInstanceProfileCommand({ InstanceProfileName: name })));
  }
  getRolePolicy(roleName: string, policyName: string) {
    return this.one(A.getRolePolicy, () => this.client.send(new GetRolePolicyCommand({ RoleName: roleName, PolicyName: policyName })));
  }
  getUserPolicy(userName: string, policyName: string) {
    return this.one(A.getUserPolicy, () => this.client.send(new GetUserPolicyCommand({ UserName: userName, PolicyName: policyName })));
  }
  getGroupPolicy(groupName: string, policyName: string) {
    return this.one(A.getGroupPolicy, () => this.client.send(new GetGroupPolicyCommand({ GroupName: groupName, PolicyName: policyName })));
  }
  getPolicy(policyArn: string) {
    return this.one(A.getPolicy, () => this.client.send(new GetPolicyCommand({ PolicyArn: policyArn })));
  }
  getPolicyVersion(policyArn: string, versionId: string) {
    return this.one(A.getPolicyVersion, () => this.client.send(new GetPolicyVersionCommand({ PolicyArn: policyArn, VersionId: versionId })));
  }
  getAccountPasswordPolicy() {
    return this.one(A.getAccountPasswordPolicy, () => this.client.send(new GetAccountPasswordPolicyCommand({})));
  }
  getAccountSummary() {
    return this.one(A.getAccountSummary, () => this.client.send(new GetAccountSummaryCommand({})));
  }
  generateCredentialReport() {
    return this.one(A.generateCredentialReport, () => this.client.send(new GenerateCredentialReportCommand({})));
  }
  getCredentialReport() {
    return this.one(A.getCredentialReport, () => this.client.send(new GetCredentialReportCommand({})));
  }
  getLoginProfile(userName: string) {
    return this.one(A.getLoginProfile, () => this.client.send(new GetLoginProfileCommand({ UserName: userName })));
  }
  getAccessKeyLastUsed(accessKeyId: string) {
    return this.one(A.getAccessKeyLastUsed, () => this.client.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: accessKeyId })));
  }
  getOpenIDConnectProvider(arn: string) {
    return this.one(A.getOpenIDConnectProvider, () => this.client.send(new GetOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn })));
  }
  getSAMLProvider(arn: string) {
    return this.one(A.getSAMLProvider, () => this.client.send(new GetSAMLProviderCommand({ SAMLProviderArn: arn })));
  }
  getSSHPublicKey(userName: string, keyId: string) {
    return this.one(A.getSSHPublicKey, () => this.client.send(new GetSSHPublicKeyCommand({ UserName: userName, SSHPublicKeyId: keyId, Encoding: "SSH" })));
  }

  // --- lists: every page ---

  /** The group's members, or a not-found AwsCallError when the group does not exist. */
  listGroupUsers(groupName: string) {
    return this.all(A.listGroupUsers, paginateGetGroup(this.pc, { GroupName: groupName }), (p) => p.Users);
  }
  /** The account's users; with `limit`, stops paging once that many are read. */
  listUsers(limit?: number) {
    return this.all(A.listUsers, paginateListUsers(this.pc, limit !== undefined ? { MaxItems: limit } : {}), (p) => p.Users, limit);
  }
  listRoles() {
    return this.all(A.listRoles, paginateListRoles(this.pc, {}), (p) => p.Roles);
  }
  listInstanceProfiles() {
    return this.all(A.listInstanceProfiles, paginateListInstanceProfiles(this.pc, {}), (p) => p.InstanceProfiles);
  }
  listAccountAliases() {
    return this.all(A.listAccountAliases, paginateListAccountAliases(this.pc, {}), (p) => p.AccountAliases);
  }
  listAccessKeys(userName: string) {
    return this.all(A.listAccessKeys, paginateListAccessKeys(this.pc, { UserName: userName }), (p) => p.AccessKeyMetadata);
  }
  listMFADevices(userName: string) {
    return this.all(A.listMFADevices, paginateListMFADevices(this.pc, { UserName: userName }), (p) => p.MFADevices);
  }
  listAttachedUserPolicies(userName: string) {
    return this.all(A.listAttachedUserPolicies, paginateListAttachedUserPolicies(this.pc, { UserName: userName }), (p) => p.AttachedPolicies);
  }
  listAttachedGroupPolicies(groupName: string) {
    return this.all(A.listAttachedGroupPolicies, paginateListAttachedGroupPolicies(this.pc, { GroupName: groupName }), (p) => p.AttachedPolicies);
  }
  listAttachedRolePolicies(roleName: string) {
    return this.all(A.listAttachedRolePolicies, paginateListAttachedRolePolicies(this.pc, { RoleName: roleName }), (p) => p.AttachedPolicies);
  }
  listRolePolicies(roleName: string) {
    return this.all(A.listRolePolicies, paginateListRolePolicies(this.pc, { RoleName: roleName }), (p) => p.PolicyNames);
  }
  listGroupPolicies(groupName: string) {
    return this.all(A.listGroupPolicies, paginateListGroupPolicies(this.pc, { GroupName: groupName }), (p) => p.PolicyNames);
  }
  listGroupsForUser(userName: string) {
    return this.all(A.listGroupsForUser, paginateListGroupsForUser(this.pc, { UserName: userName }), (p) => p.Groups);
  }
  listInstanceProfilesForRole(roleName: string) {
    return this.all(A.listInstanceProfilesForRole, paginateListInstanceProfilesForRole(this.pc, { RoleName: roleName }), (p) => p.InstanceProfiles);
  }
  listUserTags(userName: string) {
    return this.all(A.listUserTags, paginateListUserTags(this.pc, { UserName: userName }), (p) => p.Tags);
  }
  listRoleTags(roleName: string) {
    return this.all(A.listRoleTags, paginateListRoleTags(this.pc, { RoleName: roleName }), (p) => p.Tags);
  }
  listPolicyTags(policyArn: string) {
    return this.all(A.listPolicyTags, paginateListPolicyTags(this.pc, { PolicyArn: policyArn }), (p) => p.Tags);
  }
  listPolicyVersions(policyArn: string) {
    return this.all(A.listPolicyVersions, paginateListPolicyVersions(this.pc, { PolicyArn: policyArn }), (p) => p.Versions);
  }
  listSSHPublicKeys(userName: string) {
    return this.all(A.listSSHPublicKeys, paginateListSSHPublicKeys(this.pc, { UserName: userName }), (p) => p.SSHPublicKeys);
  }
  listSigningCertificates(userName: string) {
    return this.all(A.listSigningCertificates, paginateListSigningCertificates(this.pc, { UserName: userName }), (p) => p.Certificates);
  }
  /** Not paged by IAM. */
  async listOpenIDConnectProviders() {
    return (await this.one(A.listOpenIDConnectProviders, () => this.client.send(new ListOpenIDConnectProvidersCommand({})))).OpenIDConnectProviderList ?? [];
  }
  /** Not paged by IAM. */
  async listSAMLProviders() {
    return (await this.one(A.listSAMLProviders, () => this.client.send(new ListSAMLProvidersCommand({})))).SAMLProviderList ?? [];
  }
  /** The account authorization details page by page (they are large; the snapshot reads them as they come). */
  authorizationDetailsPages(filter: EntityType[]): AsyncGenerator<GetAccountAuthorizationDetailsCommandOutput> {
    return this.pages(A.authorizationDetailsPages, paginateGetAccountAuthorizationDetails(this.pc, { Filter: filter }));
  }
  /** The evaluation results of every page. */
  simulatePrincipalPolicy(policySourceArn: string, actionNames: string[]) {
    return this.all(
      A.simulatePrincipalPolicy,
      paginateSimulatePrincipalPolicy(this.pc, { PolicySourceArn: policySourceArn, ActionNames: actionNames }),
      (p) => p.EvaluationResults,
    );
  }

  // --- writes ---

  addRoleToInstanceProfile(instanceProfileName: string, roleName: string) {
    return this.one(A.addRoleToInstanceProfile, () =>
      this.client.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: instanceProfileName, RoleName: roleName })),
    );
  }
  addUserToGroup(groupName: string, userName: string) {
    return this.one(A.addUserToGroup, () => this.client.send(new AddUserToGroupCommand({ GroupName: groupName, UserName: userName })));
  }
  attachUserPolicy(userName: string, policyArn: string) {
    return this.one(A.attachUserPolicy, () => this.client.send(new AttachUserPolicyCommand({ UserName: userName, PolicyArn: policyArn })));
  }
  attachGroupPolicy(groupName: string, policyArn: string) {
    return this.one(A.attachGroupPolicy, () => this.client.send(new AttachGroupPolicyCommand({ GroupName: groupName, PolicyArn: policyArn })));
  }
  attachRolePolicy(roleName: string, policyArn: string) {
    return this.one(A.attachRolePolicy, () => this.client.send(new AttachRolePolicyCommand({ RoleName: roleName, PolicyArn: policyArn })));
  }
  createAccountAlias(alias: string) {
    return this.one(A.createAccountAlias, () => this.client.send(new CreateAccountAliasCommand({ AccountAlias: alias })));
  }
  tagInstanceProfile(name: string, tags: Tag[]) {
    return this.one(A.tagInstanceProfile, () => this.client.send(new TagInstanceProfileCommand({ InstanceProfileName: name, Tags: tags })));
  }
  tagUser(userName: string, tags: Tag[]) {
    return this.one(A.tagUser, () => this.client.send(new TagUserCommand({ UserName: userName, Tags: tags })));
  }
  tagRole(roleName: string, tags: Tag[]) {
    return this.one(A.tagRole, () => this.client.send(new TagRoleCommand({ RoleName: roleName, Tags: tags })));
  }
  tagPolicy(policyArn: string, tags: Tag[]) {
    return this.one(A.tagPolicy, () => this.client.send(new TagPolicyCommand({ PolicyArn: policyArn, Tags: tags })));
  }
  updateAccessKey(userName: string, accessKeyId: string, status: "Active" | "Inactive") {
    return this.one(A.updateAccessKey, () =>
      this.client.send(new UpdateAccessKeyCommand({ UserName: userName, AccessKeyId: accessKeyId, Status: status })),
    );
  }
  updateAccountPasswordPolicy(input: UpdateAccountPasswordPolicyCommandInput) {
    return this.one(A.updateAccountPasswordPolicy, () => this.client.send(new UpdateAccountPasswordPolicyCommand(input)));
  }
  putRolePolicy(roleName: string, policyName: string, document: string) {
    return this.one(A.putRolePolicy, () =>
      this.client.send(new PutRolePolicyCommand({ RoleName: roleName, PolicyName: policyName, PolicyDocument: document })),
    );
  }
  putUserPolicy(userName: string, policyName: string, document: string) {
    return this.one(A.putUserPolicy, () =>
      this.client.send(new PutUserPolicyCommand({ UserName: userName, PolicyName: policyName, PolicyDocument: document })),
    );
  }
  putGroupPolicy(groupName: string, policyName: string, document: string) {
    return this.one(A.putGroupPolicy, () =>
      this.client.send(new PutGroupPolicyCommand({ GroupName: groupName, PolicyName: policyName, PolicyDocument: document })),
    );
  }
  putRolePermissionsBoundary(roleName: string, boundaryArn: string) {
    return this.one(A.putRolePermissionsBoundary, () =>
      this.client.send(new PutRolePermissionsBoundaryCommand({ RoleName: roleName, PermissionsBoundary: boundaryArn })),
    );
  }
  putUserPermissionsBoundary(userName: string, boundaryArn: string) {
    return this.one(A.putUserPermissionsBoundary, () =>
      this.client.send(new PutUserPermissionsBoundaryCommand({ UserName: userName, PermissionsBoundary: boundaryArn })),
    );
  }
  createRole(input: CreateRoleCommandInput) {
    return this.one(A.createRole, () => this.client.send(new CreateRoleCommand(input)));
  }
  createUser(input: CreateUserCommandInput) {
    return this.one(A.createUser, () => this.client.send(new CreateUserCommand(input)));
  }
  createGroup(groupName: string, path: string) {
    return this.one(A.createGroup, () => this.client.send(new CreateGroupCommand({ GroupName: groupName, Path: path })));
  }
  createInstanceProfile(name: string, path: string, tags: Tag[]) {
    return this.one(A.createInstanceProfile, () =>
      this.client.send(new CreateInstanceProfileCommand({ InstanceProfileName: name, Path: path, Tags: tags })),
    );
  }
  createPolicy(input: CreatePolicyCommandInput) {
    return this.one(A.createPolicy, () => this.client.send(new CreatePolicyCommand(input)));
  }
  createPolicyVersion(policyArn: string, document: string, setAsDefault: boolean) {
    return this.one(A.createPolicyVersion, () =>
      this.client.send(new CreatePolicyVersionCommand({ PolicyArn: policyArn, PolicyDocument: document, SetAsDefault: setAsDefault })),
    );
  }
  createOpenIDConnectProvider(input: CreateOpenIDConnectProviderCommandInput) {
    return this.one(A.createOpenIDConnectProvider, () => this.client.send(new CreateOpenIDConnectProviderCommand(input)));
  }
  addClientIDToOpenIDConnectProvider(arn: string, clientId: string) {
    return this.one(A.addClientIDToOpenIDConnectProvider, () =>
      this.client.send(new AddClientIDToOpenIDConnectProviderCommand({ OpenIDConnectProviderArn: arn, ClientID: clientId })),
    );
  }
  createSAMLProvider(name: string, metadata: string, tags: Tag[]) {
    return this.one(A.createSAMLProvider, () =>
      this.client.send(new CreateSAMLProviderCommand({ Name: name, SAMLMetadataDocument: metadata, Tags: tags })),
    );
  }
  uploadSSHPublicKey(userName: string, body: string) {
    return this.one(A.uploadSSHPublicKey, () => this.client.send(new UploadSSHPublicKeyCommand({ UserName: userName, SSHPublicKeyBody: body })));
  }
  uploadSigningCertificate(userName: string, body: string) {
    return this.one(A.uploadSigningCertificate, () =>
      this.client.send(new UploadSigningCertificateCommand({ UserName: userName, CertificateBody: body })),
    );
  }
}

/** The IAM gateway over a client (cheap: one per use is fine). */
export const iamGateway = (client: IAMClient): IamGateway => new IamGateway(client);
