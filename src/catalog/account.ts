// Catalog entries for account-wide settings and federation: the account alias, the password policy,
// and the SAML / OpenID Connect identity providers that roles trust.
import { remedies, type EntryMap } from "./remedies.js";

type AccountEvent =
  | "DeleteAccountAlias"
  | "DeleteAccountPasswordPolicy"
  | "DeleteSAMLProvider"
  | "DeleteOpenIDConnectProvider"
  | "RemoveClientIDFromOpenIDConnectProvider";

export const ACCOUNT_ENTRIES: EntryMap<AccountEvent> = {
  DeleteAccountAlias: {
    eventName: "DeleteAccountAlias",
    title: "AWS account alias deleted",
    meaning:
      "Removes the account alias, the friendly name used in the account's console sign-in address " +
      "(https://ALIAS.signin.aws.amazon.com/console). An account has at most one alias; once it is gone, " +
      "people can only reach the sign-in page through the form of the URL that uses the 12-digit account ID.",
    risks: [
      "Bookmarked and documented sign-in links built on the alias stop working, and without the familiar " +
        "name on the sign-in page and in the console people find it harder to tell which account they are in, " +
        "which invites changes made in the wrong account.",
      "Aliases are unique within an AWS partition (commercial, GovCloud and China each have their own), so once " +
        "released the name could be claimed by another account in the same partition; " +
        "old bookmarks would then lead people to a sign-in page that belongs to someone else, and the name " +
        "might not be recoverable.",
      "On its own it grants or removes no access, which makes it an odd thing for anyone but an administrator " +
        "to do: check what else the same principal did around the same time.",
    ],
    severity: "low",
    severityReason:
      "No permissions change and the account-ID sign-in URL keeps working; the costs are confusion and the chance of losing the name.",
    recovery:
      "Recreate it with CreateAccountAlias (3 to 63 characters: lowercase letters, digits and hyphens, not " +
      "starting or ending with a hyphen). That works only if no other account has taken the name in the " +
      "meantime; if it has, choose a new alias and update bookmarks, runbooks and documentation that use the old URL.",
    remediations: remedies("recreate-account-alias"),
  },

  DeleteAccountPasswordPolicy: {
    eventName: "DeleteAccountPasswordPolicy",
    title: "Account password policy deleted",
    meaning:
      "Deletes the account's custom password policy for IAM users, so IAM falls back to its built-in default: " +
      "at least 8 characters using at least three of the four character types (upper case, lower case, digits, " +
      "symbols), no expiry, and no check against earlier passwords, which is looser than most security " +
      "baselines require. Existing passwords are left alone; the weaker rules apply to every password set or " +
      "changed from now on.",
    risks: [
      "Users can now pick short or previously used passwords, and administrators can hand out weak initial " +
        "passwords, which makes console accounts easier to guess or to break with leaked-password lists.",
      "Expiry stops, so passwords that would have been forced to rotate, including any that have already leaked, " +
        "stay valid indefinitely.",
      "Attackers drop the policy just before giving a user they control a simple password: look for " +
        "CreateLoginProfile or UpdateLoginProfile calls right after this one.",
    ],
    severity: "critical",
    severityReason:
      "Removes an authentication control for every IAM user in one call, and weak passwords set while it is missing stay valid after it returns.",
    recovery:
      "Reinstate it with UpdateAccountPasswordPolicy. The delete event carries no settings, so take the previous " +
      "values from infrastructure code, AWS Config history or your security baseline. Passwords set or changed " +
      "while the policy was missing are not re-checked when it comes back: require a reset (UpdateLoginProfile " +
      "with PasswordResetRequired) for users who changed their password in that window.",
    remediations: remedies("enforce-password-policy"),
  },

  DeleteSAMLProvider: {
    eventName: "DeleteSAMLProvider",
    title: "SAML identity provider deleted",
    meaning:
      "Deletes an IAM SAML provider, the object that holds an external identity provider's metadata (Okta, " +
      "Entra ID, AD FS and the like) and that role trust policies name for AssumeRoleWithSAML. Every role " +
      "trusting this provider can no longer be assumed through SAML; sessions already issued keep working " +
      "until they expire.",
    risks: [
      "Single sign-on into this account stops for everyone who federates through that IdP, administrators and " +
        "on-call staff included, possibly just when they are needed to respond.",
      "If it is the provider IAM Identity Center keeps in this account (named like AWSSSO_..._DO_NOT_DELETE), " +
        "Identity Center users lose access to the account through every permission set.",
      "Attackers delete it to lock responders out, or delete and recreate it under the same name with metadata " +
        "from an IdP they control, so that the trusted ARN accepts their assertions: watch for a " +
        "CreateSAMLProvider or UpdateSAMLProvider that follows.",
    ],
    severity: "critical",
    severityReason:
      "Breaks federated sign-in for every role that trusts the provider in one call, and the delete-and-recreate pattern can hand those roles to an outside IdP.",
    recovery:
      "Recreate it with CreateSAMLProvider under the same name: the ARN is derived from the name, so trust " +
      "policies that reference it match again. The metadata document is not in the delete event; download it " +
      "again from your legitimate IdP and check that the new provider's metadata really is yours. For the " +
      "Identity Center provider, prefer repairing it from the Identity Center side (for example by " +
      "re-provisioning the permission sets assigned to the account) over creating it by hand.",
    remediations: remedies(),
  },

  DeleteOpenIDConnectProvider: {
    eventName: "DeleteOpenIDConnectProvider",
    title: "OIDC identity provider deleted",
    meaning:
      "Deletes an IAM OpenID Connect provider, the trust anchor that lets tokens from an external issuer " +
      "(GitHub Actions, an EKS cluster's service-account issuer, GitLab, Google and others) be exchanged for " +
      "role credentials through AssumeRoleWithWebIdentity. Roles whose trust policies name the provider can no " +
      "longer be assumed that way; credentials already issued last until they expire. The call is idempotent: it " +
      "succeeds even when no such provider exists, so a success does not prove one was deleted.",
    risks: [
      "Every CI/CD pipeline that deploys through this federation (for example GitHub Actions workflows " +
        "assuming roles in this account) fails on its next run.",
      "EKS pods that use IAM roles for service accounts (IRSA) from this cluster cannot refresh their " +
        "credentials and start failing as soon as the current ones expire.",
      "It may be the first half of a redirect: an actor who then creates a provider for an issuer they control " +
        "and edits role trust policies to point at it gains those roles; check for CreateOpenIDConnectProvider " +
        "and UpdateAssumeRolePolicy calls by the same principal.",
    ],
    severity: "critical",
    severityReason:
      "Cuts off every workload and pipeline federating through this issuer at once, and the bot has no undo for it.",
    recovery:
      "Recreate it with CreateOpenIDConnectProvider for the same issuer URL: the ARN is derived from the URL, " +
      "so existing trust policies match again. The audiences (client IDs) and thumbprints are not in the " +
      "delete event; take them from infrastructure code or the issuer's documentation. Jobs that failed in " +
      "the meantime have to be re-run.",
    remediations: remedies(),
  },

  RemoveClientIDFromOpenIDConnectProvider: {
    eventName: "RemoveClientIDFromOpenIDConnectProvider",
    title: "Audience removed from OIDC provider",
    meaning:
      "Removes one client ID (audience) from an IAM OpenID Connect provider. From now on, web identity " +
      "tokens whose aud claim carries that value are rejected by AssumeRoleWithWebIdentity; the provider " +
      "itself and its other audiences are untouched. The call is idempotent: removing a client ID the provider " +
      "does not have also succeeds, so a success does not prove anything changed.",
    risks: [
      "Removing the standard audience (sts.amazonaws.com, used by GitHub Actions and EKS service accounts) " +
        "breaks every pipeline or pod that relies on it, even though the provider still exists.",
      "The failures show up as invalid-token errors inside jobs and pods, so teams may chase an imagined IdP " +
        "outage instead of the IAM change, which stretches the outage.",
    ],
    severity: "high",
    severityReason:
      "One call can stop every workload that federates with that audience, although the fix is a single call using the value from the event.",
    recovery:
      "Add the value back with AddClientIDToOpenIDConnectProvider; the removed client ID is in the event's " +
      "request parameters (clientID). Nothing is lost apart from the calls that failed in between.",
    remediations: remedies(),
  },
};
