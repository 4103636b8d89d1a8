// The AWS reads that audits and plans need, grouped as in deploy/iam-policy.json (a test keeps the two in
// step), and for each a harmless call that proves the permission when IAM policy simulation is not allowed:
// it names a resource that does not exist, so "not found" means allowed and only a denial means missing.
import type { CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import type { IAMClient } from "@aws-sdk/client-iam";
import { cloudTrailGateway, type CLOUDTRAIL_ACTIONS } from "../aws/cloudtrail-gateway.js";
import { iamGateway, type IAM_ACTIONS } from "../aws/iam-gateway.js";

export interface ReadGroup {
  /** The statement id in deploy/iam-policy.json. */
  sid: string;
  purpose: string;
  actions: GatewayAction[];
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

/** An IAM action some gateway method needs (src/aws): the doctor probes nothing the code does not call. */
export type GatewayAction = (typeof IAM_ACTIONS)[keyof typeof IAM_ACTIONS] | (typeof CLOUDTRAIL_ACTIONS)[keyof typeof CLOUDTRAIL_ACTIONS];

/** One harmless call per action (reads only; GenerateCredentialReport starts a report, as /iam-audit does). */
export const PROBES: Readonly<Partial<Record<GatewayAction, (c: ProbeClients) => Promise<unknown>>>> = {
  "cloudtrail:DescribeTrails": (c) => cloudTrailGateway(c.cloudtrail).describeTrails([NAME]),
  "cloudtrail:GetTrailStatus": (c) => cloudTrailGateway(c.cloudtrail).getTrailStatus(NAME),
  "cloudtrail:GetTrail": (c) => cloudTrailGateway(c.cloudtrail).getTrail(NAME),
  "cloudtrail:ListTags": (c) => cloudTrailGateway(c.cloudtrail).listTags([`arn:aws:cloudtrail:${c.region}:${c.accountId}:trail/${NAME}`]),
  "iam:GetAccountPasswordPolicy": (c) => iamGateway(c.iam).getAccountPasswordPolicy(),
  "iam:GetAccountSummary": (c) => iamGateway(c.iam).getAccountSummary(),
  "iam:GenerateCredentialReport": (c) => iamGateway(c.iam).generateCredentialReport(),
  "iam:GetCredentialReport": (c) => iamGateway(c.iam).getCredentialReport(),
  "iam:ListUsers": (c) => iamGateway(c.iam).listUsers(1),
  "iam:GetUser": (c) => iamGateway(c.iam).getUser(NAME),
  "iam:GetLoginProfile": (c) => iamGateway(c.iam).getLoginProfile(NAME),
  "iam:ListMFADevices": (c) => iamGateway(c.iam).listMFADevices(NAME),
  "iam:ListAccessKeys": (c) => iamGateway(c.iam).listAccessKeys(NAME),
  "iam:GetAccessKeyLastUsed": (c) => iamGateway(c.iam).getAccessKeyLastUsed("AKIAIOSFODNN7EXAMPLE"),
  "iam:GetRole": (c) => iamGateway(c.iam).getRole(NAME),
  "iam:GetRolePolicy": (c) => iamGateway(c.iam).getRolePolicy(NAME, NAME),
  "iam:ListRolePolicies": (c) => iamGateway(c.iam).listRolePolicies(NAME),
  "iam:GetGroup": (c) => iamGateway(c.iam).getGroup(NAME),
  "iam:GetGroupPolicy": (c) => iamGateway(c.iam).getGroupPolicy(NAME, NAME),
  "iam:ListGroupPolicies": (c) => iamGateway(c.iam).listGroupPolicies(NAME),
  "iam:GetPolicy": (c) => iamGateway(c.iam).getPolicy(`arn:aws:iam::${c.accountId}:policy/${NAME}`),
  "iam:GetPolicyVersion": (c) => iamGateway(c.iam).getPolicyVersion(`arn:aws:iam::${c.accountId}:policy/${NAME}`, "v1"),
  "iam:GetInstanceProfile": (c) => iamGateway(c.iam).getInstanceProfile(NAME),
  "iam:ListInstanceProfilesForRole": (c) => iamGateway(c.iam).listInstanceProfilesForRole(NAME),
  "iam:ListAccountAliases": (c) => iamGateway(c.iam).listAccountAliases(),
  "iam:ListAttachedUserPolicies": (c) => iamGateway(c.iam).listAttachedUserPolicies(NAME),
  "iam:ListAttachedGroupPolicies": (c) => iamGateway(c.iam).listAttachedGroupPolicies(NAME),
  "iam:ListAttachedRolePolicies": (c) => iamGateway(c.iam).listAttachedRolePolicies(NAME),
  "iam:ListGroupsForUser": (c) => iamGateway(c.iam).listGroupsForUser(NAME),
  "iam:ListUserTags": (c) => iamGateway(c.iam).listUserTags(NAME),
  "iam:ListRoleTags": (c) => iamGateway(c.iam).listRoleTags(NAME),
};
