// The live IAM/CloudTrail posture audit behind `/iam-audit`: five independent checks, each recording
// its own AWS errors (with the missing permission on AccessDenied) so one failure never hides the rest.
import { createContext, type CheckContext } from "./context.js";
import { accessKeysCheck } from "./checks/access-keys.js";
import { cloudtrailCheck } from "./checks/cloudtrail.js";
import { consoleUsersMfaCheck } from "./checks/console-users-mfa.js";
import { passwordPolicyCheck } from "./checks/password-policy.js";
import { rootAccountCheck } from "./checks/root-account.js";
import { awsErrorCode, awsErrorMessage } from "../aws/errors.js";
import { AuditCallError } from "./errors.js";
import { sortFindings } from "./sort.js";
import { AUDIT_CHECKS, type AuditCheckName, type AuditDeps, type AuditReport } from "./types.js";

export type {
  AccessKeyPosture,
  AuditDeps,
  AuditFinding,
  AuditReport,
  UserPostureFound,
} from "./types.js";
export { userPosture, UserPostureError, parseUserRef } from "./user-posture.js";
export { parseCsv, parseCredentialReport } from "./csv.js";
export { comparePasswordPolicy } from "./checks/password-policy.js";
export { evaluateAccessKey } from "./checks/access-keys.js";
export { sortFindings } from "./sort.js";

const CHECKS: Record<AuditCheckName, (ctx: CheckContext) => Promise<void>> = {
  "password-policy": passwordPolicyCheck,
  "root-account": rootAccountCheck,
  "console-users-mfa": consoleUsersMfaCheck,
  "access-keys": accessKeysCheck,
  cloudtrail: cloudtrailCheck,
};

async function runCheck(name: AuditCheckName, deps: AuditDeps, now: Date): Promise<CheckContext> {
  const ctx = createContext(name, deps, now);
  try {
    await CHECKS[name](ctx);
  } catch (err) {
    if (err instanceof AuditCallError) ctx.errors.push(err.info);
    else ctx.errors.push({ check: name, api: "(internal)", errorName: awsErrorCode(err), message: awsErrorMessage(err) });
  }
  return ctx;
}

export async function runAudit(deps: AuditDeps): Promise<AuditReport> {
  const now = (deps.now ?? (() => new Date()))();
  const checksRun: AuditCheckName[] = [...AUDIT_CHECKS];
  const results = await Promise.all(checksRun.map((name) => runCheck(name, deps, now)));
  const findings = sortFindings(results.flatMap((r) => r.findings));
  const errors = results.flatMap((r) => r.errors);
  return { generatedAt: now, findings, errors, checksRun, clean: findings.length === 0 && errors.length === 0 };
}
