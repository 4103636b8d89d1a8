// Catalog entries for principals and their containers: users, groups, roles, service-linked roles,
// instance profiles, and the membership links between them.
import { remedies, type EntryMap } from "./remedies.js";

type IdentityEvent =
  | "DeleteUser"
  | "DeleteGroup"
  | "RemoveUserFromGroup"
  | "DeleteRole"
  | "DeleteServiceLinkedRole"
  | "DeleteInstanceProfile"
  | "RemoveRoleFromInstanceProfile";

export const IDENTITY_ENTRIES: EntryMap<IdentityEvent> = {
  DeleteUser: {
    eventName: "DeleteUser",
    title: "IAM user deleted",
    meaning:
      "Deletes an IAM user. The API refuses while the user still has a console password, access keys, " +
      "signing certificates, SSH public keys, service-specific credentials, MFA devices, inline or attached " +
      "policies, or group memberships, so a DeleteUser normally closes a burst of DeleteLoginProfile, " +
      "DeleteAccessKey, DeactivateMFADevice, DetachUserPolicy, RemoveUserFromGroup and similar events " +
      "(the console issues these on its own).",
    risks: [
      "Scripts, legacy applications and third-party integrations still using the user's access keys fail at once.",
      "Deleting an administrator or break-glass user locks responders out; an attacker may also delete a " +
        "user they created for persistence once they have a quieter foothold.",
      "Resource policies that named the user are left holding a dangling unique ID (AIDA...) and will not " +
        "trust a new user created with the same name.",
    ],
    severity: "high",
    severityReason:
      "Removes a principal and every credential it had in one step; the identity can only be replaced, never restored.",
    recovery:
      "Not reversible. CreateUser with the same name gives the same ARN but a new unique ID, so resource " +
      "policies that referenced the old user must be saved again to pick up the new one. The password, " +
      "access keys and MFA devices are gone for good: the person needs a new password, new keys and a fresh " +
      "MFA enrolment, and group memberships and policies must be rebuilt from code or from the preceding events.",
    remediations: remedies(),
  },

  DeleteGroup: {
    eventName: "DeleteGroup",
    title: "IAM group deleted",
    meaning:
      "Deletes an IAM group. The call only succeeds once the group is empty (no members) and has no inline " +
      "or attached managed policies left, so the actual access change happened in the RemoveUserFromGroup, " +
      "DeleteGroupPolicy and DetachGroupPolicy events that usually come just before it.",
    risks: [
      "If those earlier removals went unnoticed, former members have quietly lost permissions they needed; " +
        "review the preceding burst to see who and what.",
      "A group that carried guardrails (for example denying everything without MFA) may have been emptied and " +
        "deleted precisely to get rid of them, leaving its former members unrestricted.",
      "Onboarding scripts and infrastructure code that add people to the group by name fail until it exists again.",
    ],
    severity: "medium",
    severityReason:
      "By the time it succeeds the group has no members or policies, so the real impact lies in the preceding events, which alert on their own.",
    recovery:
      "Recreate it with CreateGroup under the same name and path, then add members and policies back from code " +
      "or from the preceding events (their request parameters name the users and managed-policy ARNs, but not " +
      "the inline policy documents). A group cannot be a principal in resource policies, so its new ID rarely matters.",
    remediations: remedies(),
  },

  RemoveUserFromGroup: {
    eventName: "RemoveUserFromGroup",
    title: "User removed from IAM group",
    meaning:
      "Takes an IAM user out of a group. The user immediately stops receiving the group's inline and attached " +
      "policies, including any Deny statements the group imposed; the user and the group both remain.",
    risks: [
      "If the group carried restrictions (a deny-unless-MFA rule, a region lock, a block on IAM changes), the " +
        "user escapes them and effectively gains access.",
      "An administrator or on-call engineer taken out of an admin or responder group loses access in the " +
        "middle of their work.",
      "It may be one step of emptying a group before DeleteGroup, or of stripping a user before DeleteUser.",
    ],
    severity: "medium",
    severityReason:
      "Touches a single user and the bot can reverse it exactly, but it can lift group-level guardrails.",
    recovery:
      "AddUserToGroup with the user and group names from the event restores the membership exactly; nothing " +
      "is lost beyond what the user could or could not do in between.",
    remediations: remedies("readd-user-to-group"),
  },

  DeleteRole: {
    eventName: "DeleteRole",
    title: "IAM role deleted",
    meaning:
      "Deletes an IAM role. AWS accepts it only once the role has been taken out of every instance profile and " +
      "its inline and attached managed policies are gone, so in CloudTrail a DeleteRole is usually the last of " +
      "a burst of RemoveRoleFromInstanceProfile, DeleteRolePolicy and DetachRolePolicy events. Service-linked " +
      "roles cannot be deleted this way (that is DeleteServiceLinkedRole).",
    risks: [
      "Everything that assumes the role (Lambda functions, ECS tasks, EC2 instances, CI jobs, other accounts) " +
        "fails with AccessDenied the next time it needs credentials.",
      "Resource policies and other roles' trust policies that named the role (S3 bucket, KMS key and SQS " +
        "queue policies, for example) now hold a dangling unique ID such as AROA..., and a new role with the " +
        "same name will not match them.",
      "Deleting a security or audit role (cross-account read access for a SIEM, a break-glass role) blinds " +
        "monitoring or removes the responders' way in.",
    ],
    severity: "high",
    severityReason:
      "Breaks every caller of the role immediately and cannot be truly undone, because a recreated role gets a new unique ID.",
    recovery:
      "There is no real undo. CreateRole with the same name and path gives the same ARN but a new unique RoleId, " +
      "and IAM stores that ID rather than the ARN in trust and resource policies, so every policy that trusted " +
      "the old role has to be edited to name the new one. The trust policy, inline policies, managed-policy " +
      "attachments, instance-profile memberships, permissions boundary, tags and session duration must all be " +
      "rebuilt from code or from the preceding events.",
    remediations: remedies(),
  },

  DeleteServiceLinkedRole: {
    eventName: "DeleteServiceLinkedRole",
    title: "Service-linked role deletion requested",
    meaning:
      "Asks IAM to delete a service-linked role, a role owned by an AWS service (GuardDuty, Config, " +
      "Organizations, Elastic Load Balancing, Auto Scaling and so on). The call is asynchronous: it returns a " +
      "DeletionTaskId, then the service checks that none of its resources still use the role, and if some do " +
      "the task fails and nothing is deleted.",
    risks: [
      "Attackers pair it with switching off security services (GuardDuty, Config, Security Hub) so that those " +
        "services cannot simply resume: look for disable or stop calls by the same actor.",
      "A successful event only means the request was accepted, so responders can wrongly assume damage or no " +
        "damage; and because many services recreate the role on next use, its later presence proves nothing either.",
    ],
    severity: "medium",
    severityReason:
      "Usually service clean-up, and the outcome cannot be read from the event itself; raised to high when the role belongs to a security service (GuardDuty, Config, Inspector, Macie, Security Hub, IAM Access Analyzer).",
    recovery:
      "Look up the DeletionTaskId from the event's response with GetServiceLinkedRoleDeletionStatus: if the " +
      "task failed, nothing was removed. If it succeeded, recreate the role with CreateServiceLinkedRole for " +
      "that service, or re-enable the feature that needs it (many services recreate it themselves). The new " +
      "role has a new unique ID, but the service attaches its own policies, so nothing else needs rebuilding.",
    remediations: remedies(),
  },

  DeleteInstanceProfile: {
    eventName: "DeleteInstanceProfile",
    title: "EC2 instance profile deleted",
    meaning:
      "Deletes an instance profile, the container through which EC2 hands a role's credentials to instances. " +
      "Only the container goes: the role that was in it is not deleted. AWS refuses to delete a profile that " +
      "still holds a role, so the role had to be removed first (RemoveRoleFromInstanceProfile), and it " +
      "survives with its policies intact.",
    risks: [
      "Running EC2 instances still associated with the profile have no role credentials to refresh, so their " +
        "applications start failing with AccessDenied or missing-credential errors.",
      "Launch templates, Auto Scaling groups and CloudFormation stacks that reference the profile can no " +
        "longer launch instances until it exists again.",
      "A RemoveRoleFromInstanceProfile followed by DeleteInstanceProfile on a production profile by an unusual " +
        "principal looks like deliberate sabotage rather than cleanup; find out who is behind it.",
    ],
    severity: "high",
    severityReason:
      "Strands running instances without credentials and blocks new launches, and recreating the profile does not restore the instance associations.",
    recovery:
      "Recreate it with CreateInstanceProfile under the same name and path and put the surviving role back with " +
      "AddRoleToInstanceProfile. The new profile has the same ARN but a new InstanceProfileId, and the old EC2 " +
      "associations are lost: each running instance must be attached again (AssociateIamInstanceProfile or " +
      "ReplaceIamInstanceProfileAssociation). The bot's re-add remediation does not apply because the profile no longer exists.",
    remediations: remedies(),
  },

  RemoveRoleFromInstanceProfile: {
    eventName: "RemoveRoleFromInstanceProfile",
    title: "Role removed from EC2 instance profile",
    meaning:
      "Takes the role out of an instance profile. The profile and the role both still exist, but instances " +
      "using the profile stop getting that role's credentials; a profile can hold only one role, so it is now empty.",
    risks: [
      "EC2 instances running with this profile lose their role credentials when the current ones come up for " +
        "refresh, and the applications on them begin failing with AccessDenied.",
      "It may be a role swap: with the slot free, a following AddRoleToInstanceProfile can put a more " +
        "privileged role into a profile already attached to instances the attacker can reach, handing them its " +
        "credentials through the instance metadata service.",
      "It is also the required first step before DeleteRole or DeleteInstanceProfile, so either may follow if " +
        "someone is tearing the setup down.",
    ],
    severity: "high",
    severityReason:
      "Cuts credentials for every instance using the profile and opens a known role-swap route, even though the bot can put the role back.",
    recovery:
      "Fully reversible while nothing else has changed: AddRoleToInstanceProfile with the role and profile " +
      "names from the event restores it, and instances receive credentials again shortly afterwards. If a " +
      "different role was added in the meantime, remove it first (one role per profile) and find out why it was added.",
    remediations: remedies("readd-role-to-instance-profile"),
  },
};
