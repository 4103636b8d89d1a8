// Builders for what the store keeps as JSON (src/store/codecs.ts): complete, typed shapes with overrides, so
// store and service tests write rows that decode.
import type { AuditFinding, AuditReport } from "../../src/audit/types.js";
import type { GroupSnapshot } from "../../src/grouping/grouper.js";
import type { ExecutionResult, RemediationPlan } from "../../src/remediation/types.js";

export function storedPlan(o: Partial<RemediationPlan> = {}): RemediationPlan {
  return {
    remediationId: "recreate-account-alias",
    title: "Recreate account alias a",
    params: { accountAlias: "a" },
    applicable: true,
    reason: "alias a is not in use",
    observations: [],
    calls: [],
    bindings: [],
    ...o,
  };
}

/** Re-add user bob to group admins: the plan the workflow tests request, approve and recover. */
export function readdPlan(o: Partial<RemediationPlan> = {}): RemediationPlan {
  return storedPlan({
    remediationId: "readd-user-to-group",
    title: "Re-add user bob to group admins",
    params: { groupName: "admins", userName: "bob" },
    reason: "bob is not in admins",
    calls: [{ api: "AddUserToGroup", params: { GroupName: "admins", UserName: "bob" }, description: "Add user bob to group admins" }],
    ...o,
  });
}

export function executionResult(o: Partial<ExecutionResult> = {}): ExecutionResult {
  return { ok: true, done: [], notDone: [], verification: { ok: true, details: [] }, summary: "done", ...o };
}

export function auditFinding(o: Partial<AuditFinding> = {}): AuditFinding {
  return { id: "f1", check: "password-policy", severity: "medium", title: "No password policy", detail: "d", ...o };
}

export function auditReport(findings: AuditFinding[] = [], o: Partial<AuditReport> = {}): AuditReport {
  return { generatedAt: new Date(0), findings, errors: [], checksRun: ["password-policy"], clean: findings.length === 0, ...o };
}

export function groupSnapshot(o: Partial<GroupSnapshot> & Pick<GroupSnapshot, "id" | "firstAt" | "lastAt">): GroupSnapshot {
  return { kind: "chain", actor: "arn:aws:iam::111122223333:user/alice", accountId: "111122223333", root: { type: "role", name: "app" }, keys: ["role:app"], memberIds: [], severity: "high", rootFromDeletion: false, ...o };
}
