// console-users-mfa: users with a console password and no MFA, from the credential report.
import type { CheckContext } from "../context.js";
import { fetchCredentialReport } from "../credential-report.js";
import type { AuditFinding } from "../types.js";

function formatDate(d: Date): string {
  return d.toISOString().slice(0, 10);
}

export function userNoMfaFinding(userName: string, passwordLastUsed: Date | undefined): AuditFinding {
  const used = passwordLastUsed ? `last signed in ${formatDate(passwordLastUsed)}` : "no console sign-in recorded";
  return {
    id: `user-no-mfa:${userName}`,
    check: "console-users-mfa",
    severity: "high",
    title: `Console user ${userName} has no MFA`,
    detail: `IAM user ${userName} has a console password but no active MFA device (${used}). Enable MFA for the user, or delete the login profile if console access is not needed.`,
    resource: { type: "user", name: userName },
  };
}

export async function consoleUsersMfaCheck(ctx: CheckContext): Promise<void> {
  const report = await fetchCredentialReport(ctx);
  for (const row of report.rows) {
    if (row.isRoot) continue;
    if (row.passwordEnabled === true && row.mfaActive === false) {
      ctx.findings.push(userNoMfaFinding(row.user, row.passwordLastUsed));
    }
  }
}
