// Catalog entries for permission policies: managed policies and their versions, inline policies, the
// attachments of managed policies to principals, and permissions boundaries.
import { remedies, type EntryMap } from "./remedies.js";

type PolicyEvent =
  | "DeletePolicy"
  | "DeletePolicyVersion"
  | "DeleteUserPolicy"
  | "DeleteGroupPolicy"
  | "DeleteRolePolicy"
  | "DetachUserPolicy"
  | "DetachGroupPolicy"
  | "DetachRolePolicy"
  | "DeleteUserPermissionsBoundary"
  | "DeleteRolePermissionsBoundary";

export const POLICY_ENTRIES: EntryMap<PolicyEvent> = {
  DeletePolicy: {
    eventName: "DeletePolicy",
    title: "Customer managed policy deleted",
    meaning:
      "Deletes a customer managed policy together with its versions. IAM allows this only after the policy " +
      "has been detached from every user, group and role, is no longer any user's or role's permissions " +
      "boundary, and every version except the default has been deleted, so DetachUserPolicy, DetachGroupPolicy, " +
      "DetachRolePolicy, Delete*PermissionsBoundary and DeletePolicyVersion events normally come first. AWS " +
      "managed policies cannot be deleted.",
    risks: [
      "Every principal that had the policy lost its permissions in the detach events leading up to this; " +
        "workloads depending on them are already failing or soon will be.",
      "If it was a Deny guardrail, its removal widened access for everything it was attached to, and deleting " +
        "it makes it much harder to put back quickly.",
      "The version history goes with it, erasing the record of what the policy allowed over time, which suits " +
        "someone covering up an earlier malicious version.",
    ],
    severity: "high",
    severityReason:
      "Destroys the policy document and its history, so restoring it depends on a copy kept elsewhere.",
    recovery:
      "CreatePolicy with the same name and path yields the same ARN, so attachments can be restored (the " +
      "preceding detach events list who had it), but the policy gets a new PolicyId and starts again at v1: " +
      "the version history is lost. The document is not in the delete event, so it must come from " +
      "infrastructure code, AWS Config history or an earlier copy.",
    remediations: remedies(),
  },

  DeletePolicyVersion: {
    eventName: "DeletePolicyVersion",
    title: "Managed policy version deleted",
    meaning:
      "Deletes one non-default version of a customer managed policy. The default version, the only one IAM " +
      "evaluates, cannot be deleted this way, so effective permissions do not change.",
    risks: [
      "A managed policy keeps at most five versions; deleting an old one to make room and then calling " +
        "CreatePolicyVersion with SetAsDefault is a well-known privilege-escalation technique, and that " +
        "follow-up call is not one of the events this bot alerts on.",
      "The deleted version can no longer serve as a rollback target for SetDefaultPolicyVersion if the current " +
        "default turns out to be wrong.",
      "It can also erase evidence: someone who briefly made a permissive version the default and then switched " +
        "back can delete it to hide what it granted.",
    ],
    severity: "medium",
    severityReason:
      "No permission change by itself, but it is the usual preparation for the create-and-set-default escalation, which the bot does not otherwise see.",
    recovery:
      "The document is not in the event, so IAM cannot give it back. If a copy exists (infrastructure code, AWS " +
      "Config, an earlier CreatePolicyVersion event), CreatePolicyVersion can add it again under a new version " +
      "ID. Check the policy's current default version for an unexpected change.",
    remediations: remedies(),
  },

  DeleteUserPolicy: {
    eventName: "DeleteUserPolicy",
    title: "Inline policy deleted from IAM user",
    meaning:
      "Deletes an inline policy embedded in one IAM user. This is not the managed-policy case (that is " +
      "DetachUserPolicy, which only unlinks a policy that lives on): here the inline document itself is destroyed.",
    risks: [
      "If the policy held Deny statements, such as a deny-unless-MFA rule or a block on sensitive actions, " +
        "the user's effective access widens; attackers strip such guardrails before using a stolen user.",
      "If it granted permissions the user's scripts or tools rely on, those start failing with AccessDenied.",
      "It may be clearing the way for DeleteUser, which requires the user's inline policies to be gone.",
    ],
    severity: "medium",
    severityReason:
      "Limited to one user, but the document cannot be recovered from the event and removing a Deny is a quiet escalation; treat as high if it held Deny statements.",
    recovery:
      "PutUserPolicy with the same policy name restores it, but only if you have the document from an earlier " +
      "copy: the delete event records just the user and policy names, not the content. Look for the earlier " +
      "PutUserPolicy event in CloudTrail (it records the document), infrastructure code or AWS Config history.",
    remediations: remedies(),
  },

  DeleteGroupPolicy: {
    eventName: "DeleteGroupPolicy",
    title: "Inline policy deleted from IAM group",
    meaning:
      "Deletes an inline policy embedded in an IAM group, so every member loses what it granted or denied at " +
      "the same moment. Managed policies are unlinked with DetachGroupPolicy instead; here the inline document " +
      "itself is destroyed.",
    risks: [
      "Groups often carry shared guardrails (deny without MFA, deny outside approved regions); removing one " +
        "widens access for every member at once.",
      "Members who relied on the policy for daily work hit AccessDenied together, which looks like an outage.",
      "It is a prerequisite of DeleteGroup, so a group deletion may follow.",
    ],
    severity: "high",
    severityReason:
      "Changes access for every member at once, and the document cannot be recovered from the event.",
    recovery:
      "PutGroupPolicy with the same policy name restores it only if you have the document from an earlier copy " +
      "(the earlier PutGroupPolicy event in CloudTrail, infrastructure code, AWS Config history); the delete " +
      "event names the group and policy but does not contain the document.",
    remediations: remedies(),
  },

  DeleteRolePolicy: {
    eventName: "DeleteRolePolicy",
    title: "Inline policy deleted from IAM role",
    meaning:
      "Deletes an inline policy embedded in an IAM role (managed policies are unlinked with DetachRolePolicy " +
      "instead). The role keeps its other policies, but the deleted document no longer exists anywhere in IAM, " +
      "and the change applies to sessions of the role that are already running.",
    risks: [
      "If the policy granted what a workload needs (a Lambda function, ECS task or EC2 application), its calls " +
        "start failing with AccessDenied right away.",
      "If it held Deny statements (blocking data deletion, restricting regions), the role and all its sessions " +
        "now have wider access: a common way to lift a guardrail before acting.",
      "It is often part of the burst of clean-up calls that precedes a DeleteRole.",
    ],
    severity: "high",
    severityReason:
      "Can break a workload or lift a guardrail immediately, and the policy text cannot be recovered from IAM or from the event.",
    recovery:
      "PutRolePolicy with the same policy name restores it only if you have the document from an earlier copy " +
      "(the earlier PutRolePolicy event in CloudTrail, which records the document, infrastructure code or AWS " +
      "Config history). The delete event holds only the role and policy names.",
    remediations: remedies(),
  },

  DetachUserPolicy: {
    eventName: "DetachUserPolicy",
    title: "Managed policy detached from IAM user",
    meaning:
      "Unlinks a managed policy from an IAM user. The policy itself still exists and can be attached again; " +
      "the user's permissions change immediately.",
    risks: [
      "If the policy was an AWSCompromisedKeyQuarantine policy that AWS attached after a key leak, or the " +
        "bot's own quarantine policy, the contained credentials work again: treat that case as critical.",
      "Removing a managed Deny guardrail widens the user's access; removing an Allow breaks their tools.",
      "It may be preparation for DeleteUser, which needs every policy detached first.",
    ],
    severity: "medium",
    severityReason:
      "One user and exactly reversible by the bot, unless the policy was a quarantine or Deny guardrail, in which case escalate.",
    recovery:
      "AttachUserPolicy with the policy ARN from the event puts it back exactly, as long as the policy has not " +
      "been deleted since.",
    remediations: remedies("reattach-managed-policy"),
  },

  DetachGroupPolicy: {
    eventName: "DetachGroupPolicy",
    title: "Managed policy detached from IAM group",
    meaning:
      "Unlinks a managed policy from an IAM group. The policy still exists, but every member of the group " +
      "gains or loses its effect at the same moment.",
    risks: [
      "Members who depended on the policy all hit AccessDenied at once.",
      "If the policy was a Deny guardrail (MFA enforcement, region restriction), every member is released from it.",
      "It is a prerequisite of DeleteGroup, so a group deletion may follow.",
    ],
    severity: "medium",
    severityReason:
      "Broad fan-out across members, but the bot can reattach the policy from the event exactly.",
    recovery:
      "AttachGroupPolicy with the policy ARN from the event restores it exactly, as long as the policy still exists.",
    remediations: remedies("reattach-managed-policy"),
  },

  DetachRolePolicy: {
    eventName: "DetachRolePolicy",
    title: "Managed policy detached from IAM role",
    meaning:
      "Unlinks a managed policy from an IAM role. The policy still exists and can be attached again; the role " +
      "loses the policy's permissions or restrictions immediately, including in sessions already running.",
    risks: [
      "Workloads running under the role (Lambda, ECS, EC2, CI) fail with AccessDenied on the calls the policy allowed.",
      "If the policy was a Deny guardrail, sessions of the role now have more access than intended.",
      "Detaching everything is a prerequisite of DeleteRole, so a burst of these may end in a role deletion.",
    ],
    severity: "medium",
    severityReason:
      "Can break workloads or lift a guardrail, but the policy survives and the bot can reattach it exactly.",
    recovery:
      "AttachRolePolicy with the policy ARN from the event restores it exactly, provided the policy has not " +
      "been deleted since (DeletePolicy requires it to be detached everywhere, so check for one).",
    remediations: remedies("reattach-managed-policy"),
  },

  DeleteUserPermissionsBoundary: {
    eventName: "DeleteUserPermissionsBoundary",
    title: "Permissions boundary removed from IAM user",
    meaning:
      "Removes the permissions boundary from an IAM user. A boundary caps what the user's identity policies " +
      "can grant; without it the user can do everything those policies allow (SCPs still apply). The " +
      "boundary policy itself is not deleted.",
    risks: [
      "Privilege escalation: a user whose policies are broad (Action \"*\" and the like) but who was held back " +
        "by the boundary now reaches everything those policies name.",
      "Delegated-administration setups only allow people to create or edit users on condition that a boundary " +
        "stays in place; removing it defeats that whole scheme.",
      "If the caller is the user themselves, they have just lifted their own cap; treat it as active escalation.",
    ],
    severity: "critical",
    severityReason:
      "Directly widens the user's effective permissions, the standard escalation route where boundaries are used for delegation.",
    recovery:
      "PutUserPermissionsBoundary with the previous boundary policy ARN restores the cap. The delete event " +
      "records only the user name, so find the ARN in an earlier PutUserPermissionsBoundary or CreateUser " +
      "event, infrastructure code or AWS Config. Anything done while the boundary was missing cannot be undone and needs review.",
    remediations: remedies(),
  },

  DeleteRolePermissionsBoundary: {
    eventName: "DeleteRolePermissionsBoundary",
    title: "Permissions boundary removed from IAM role",
    meaning:
      "Removes the permissions boundary from an IAM role. A boundary caps what the role's identity policies " +
      "can grant; without it every session of the role can do everything those policies allow (SCPs and " +
      "session policies still apply). The boundary policy itself is not deleted.",
    risks: [
      "Privilege escalation: roles created by developers or automation are often given broad policies and " +
        "kept safe only by the boundary; without it they may reach admin-level actions.",
      "Boundaries usually block IAM changes, network changes and tampering with security tooling, and those " +
        "guardrails are gone for every session of the role.",
      "If the caller is a session of the role itself, or someone able to assume it, they have lifted their own " +
        "cap; treat it as active escalation.",
    ],
    severity: "critical",
    severityReason:
      "Directly widens the role's effective permissions, the standard escalation route where boundaries are used for delegation.",
    recovery:
      "PutRolePermissionsBoundary with the previous boundary policy ARN restores the cap. The delete event " +
      "records only the role name, so find the ARN in an earlier PutRolePermissionsBoundary or CreateRole " +
      "event, infrastructure code or AWS Config. Anything done while the boundary was missing cannot be undone and needs review.",
    remediations: remedies(),
  },
};
