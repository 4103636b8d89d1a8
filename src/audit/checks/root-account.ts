// root-account: MFA and access keys of the root user, from GetAccountSummary.
import type { CheckContext } from "../context.js";
import { iamGateway } from "../../aws/iam-gateway.js";

export async function rootAccountCheck(ctx: CheckContext): Promise<void> {
  const res = await ctx.call("iam", "GetAccountSummary", () => iamGateway(ctx.deps.iam).getAccountSummary());
  const summary = res.SummaryMap ?? {};
  if (summary["AccountMFAEnabled"] === 0) {
    ctx.findings.push({
      id: "root-no-mfa",
      check: "root-account",
      severity: "critical",
      title: "Root user has no MFA",
      detail:
        "GetAccountSummary reports AccountMFAEnabled = 0: the root user signs in with a password alone. Enable an MFA device (preferably hardware) for the root user.",
      resource: { type: "account", name: "root" },
    });
  }
  if (summary["AccountAccessKeysPresent"] === 1) {
    ctx.findings.push({
      id: "root-access-keys",
      check: "root-account",
      severity: "critical",
      title: "Root user has access keys",
      detail:
        "GetAccountSummary reports AccountAccessKeysPresent = 1: the root user has access keys with unrestricted access. Delete them (sign in as root, Security credentials) and use IAM roles or users instead.",
      resource: { type: "account", name: "root" },
    });
  }
}
