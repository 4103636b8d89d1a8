import { SEVERITY_RANK } from "../domain.js";
import type { AuditFinding } from "./types.js";

/** Most severe first, then by title, then by id (stable output for equal titles). */
export function sortFindings(findings: AuditFinding[]): AuditFinding[] {
  const cmp = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
  return [...findings].sort(
    (a, b) => SEVERITY_RANK[b.severity] - SEVERITY_RANK[a.severity] || cmp(a.title, b.title) || cmp(a.id, b.id),
  );
}
