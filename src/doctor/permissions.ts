// The AWS reads that audits and plans need, grouped as in deploy/iam-policy.json (a test keeps the two in
// step), and for each a harmless call that proves the permission when IAM policy simulation is not allowed:
// it names a resource that does not exist, so "not found" means allowed and only a denial means missing.
import {
  DescribeTrailsCommand,
  GetTrailCommand,
  GetTrailStatusCommand,
  ListTagsCommand,
  type CloudTrailClient,
} from "@aws-sdk/client-cloudtrail";
import {
  GenerateCredentialReportCommand,
  GetAccessKeyLastUsedCommand,
  GetAccountPasswordPolicyCommand,
  GetAccountSummaryCommand,
  GetCredentialReportCommand,
  GetGroupCommand,
  GetGroupPolicyCommand,
  GetInstanceProfileCommand,
  GetLoginProfileCommand,
  GetPolicyCommand,
  GetPolicyVersionCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  GetUserCommand,
  ListAccessKeysCommand,
  ListAccountAliasesCommand,
  ListAttachedGroupPoliciesCommand,
  ListAttachedRolePoliciesCommand,
  ListAttachedUserPoliciesCommand,
  ListGroupPoliciesCommand,
  ListGroupsForUserCommand,
  ListInstanceProfilesForRoleCommand,
  ListMFADevicesCommand,
  ListRolePoliciesCommand,
  ListRoleTagsCommand,
  ListUserTagsCommand,
  ListUsersCommand,
  type IAMClient,
} from "@aws-sdk/client-iam";

export interface ReadGroup {
  /** The statement id in deploy/iam-policy.json. */
  sid: string;
  purpose: string;
  actions: string[];
}

export const READ_GROUPS: readonly ReadGroup[] = [
  { sid: "AuditTrails", purpose: "/iam-audit trails", actions: ["cloudtrail:DescribeTrails", "cloudtrail:GetTrailStatus", "cloudtrail:GetTrail"] },
  {
    sid: "AuditIamPosture",
    purpose: "/iam-audit IAM posture",
    actions: [
      "iam:GetAccountPasswordPolicy",
      "iam:GetAccountSummary",
      "iam:GenerateCredentialReport",
      "iam:GetCredentialReport",
      "iam:ListUsers",
      "iam:GetUser",
      "iam:GetLoginProfile",
      "iam:ListMFADevices",
      "iam:ListAccessKeys",
      "iam:GetAccessKeyLastUsed",
    ],
  },
  {
    sid: "PlanRemediations",
    purpose: "remediation plans",
    actions: [
      "iam:GetRole",
      "iam:GetRolePolicy",
      "iam:ListRolePolicies",
      "iam:GetGroup",
      "iam:GetGroupPolicy",
      "iam:ListGroupPolicies",
      "iam:GetPolicy",
      "iam:GetPolicyVersion",
      "iam:GetInstanceProfile",
      "iam:ListInstanceProfilesForRole",
      "iam:ListAccountAliases",
      "iam:ListAttachedUserPolicies",
      "iam:ListAttachedGroupPolicies",
      "iam:ListAttachedRolePolicies",
      "iam:ListGroupsForUser",
      "iam:ListUserTags",
      "iam:ListRoleTags",
      "cloudtrail:ListTags",
    ],
  },
];

const NAME = "trailwatch-doctor-probe";

export interface ProbeClients {
  iam: IAMClient;
  cloudtrail: CloudTrailClient;
  accountId: string;
  region: string;
}

/** One harmless call per action (reads only; GenerateCredentialReport starts a report, as /iam-audit does). */
export const PROBES: Readonly<Record<string, (c: ProbeClients) => Promise<unknown>>> = {
  "cloudtrail:DescribeTrails": (c) => c.cloudtrail.send(new DescribeTrailsCommand({ trailNameList: [NAME] })),
  "cloudtrail:GetTrailStatus": (c) => c.cloudtrail.send(new GetTrailStatusCommand({ Name: NAME })),
  "cloudtrail:GetTrail": (c) => c.cloudtrail.send(new GetTrailCommand({ Name: NAME })),
  "cloudtrail:ListTags": (c) => c.cloudtrail.send(new ListTagsCommand({ ResourceIdList: [`arn:aws:cloudtrail:${c.region}:${c.accountId}:trail/${NAME}`] })),
  "iam:GetAccountPasswordPolicy": (c) => c.iam.send(new GetAccountPasswordPolicyCommand({})),
  "iam:GetAccountSummary": (c) => c.iam.send(new GetAccountSummaryCommand({})),
  "iam:GenerateCredentialReport": (c) => c.iam.send(new GenerateCredentialReportCommand({})),
  "iam:GetCredentialReport": (c) => c.iam.send(new GetCredentialReportCommand({})),
  "iam:ListUsers": (c) => c.iam.send(new ListUsersCommand({ MaxItems: 1 })),
  "iam:GetUser": (c) => c.iam.send(new GetUserCommand({ UserName: NAME })),
  "iam:GetLoginProfile": (c) => c.iam.send(new GetLoginProfileCommand({ UserName: NAME })),
  "iam:ListMFADevices": (c) => c.iam.send(new ListMFADevicesCommand({ UserName: NAME })),
  "iam:ListAccessKeys": (c) => c.iam.send(new ListAccessKeysCommand({ UserName: NAME })),
  "iam:GetAccessKeyLastUsed": (c) => c.iam.send(new GetAccessKeyLastUsedCommand({ AccessKeyId: "AKIAIOSFODNN7EXAMPLE" })),
  "iam:GetRole": (c) => c.iam.send(new GetRoleCommand({ RoleName: NAME })),
  "iam:GetRolePolicy": (c) => c.iam.send(new GetRolePolicyCommand({ RoleName: NAME, PolicyName: NAME })),
  "iam:ListRolePolicies": (c) => c.iam.send(new ListRolePoliciesCommand({ RoleName: NAME })),
  "iam:GetGroup": (c) => c.iam.send(new GetGroupCommand({ GroupName: NAME, MaxItems: 1 })),
  "iam:GetGroupPolicy": (c) => c.iam.send(new GetGroupPolicyCommand({ GroupName: NAME, PolicyName: NAME })),
  "iam:ListGroupPolicies": (c) => c.iam.send(new ListGroupPoliciesCommand({ GroupName: NAME })),
  "iam:GetPolicy": (c) => c.iam.send(new GetPolicyCommand({ PolicyArn: `arn:aws:iam::${c.accountId}:policy/${NAME}` })),
  "iam:GetPolicyVersion": (c) => c.iam.send(new GetPolicyVersionCommand({ PolicyArn: `arn:aws:iam::${c.accountId}:policy/${NAME}`, VersionId: "v1" })),
  "iam:GetInstanceProfile": (c) => c.iam.send(new GetInstanceProfileCommand({ InstanceProfileName: NAME })),
  "iam:ListInstanceProfilesForRole": (c) => c.iam.send(new ListInstanceProfilesForRoleCommand({ RoleName: NAME })),
  "iam:ListAccountAliases": (c) => c.iam.send(new ListAccountAliasesCommand({})),
  "iam:ListAttachedUserPolicies": (c) => c.iam.send(new ListAttachedUserPoliciesCommand({ UserName: NAME })),
  "iam:ListAttachedGroupPolicies": (c) => c.iam.send(new ListAttachedGroupPoliciesCommand({ GroupName: NAME })),
  "iam:ListAttachedRolePolicies": (c) => c.iam.send(new ListAttachedRolePoliciesCommand({ RoleName: NAME })),
  "iam:ListGroupsForUser": (c) => c.iam.send(new ListGroupsForUserCommand({ UserName: NAME })),
  "iam:ListUserTags": (c) => c.iam.send(new ListUserTagsCommand({ UserName: NAME })),
  "iam:ListRoleTags": (c) => c.iam.send(new ListRoleTagsCommand({ RoleName: NAME })),
};
