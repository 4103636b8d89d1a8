// What the App Home tab shows: the open alerts, this week's counts and the last audit, read from the store.
import type { AuditReport } from "../audit/types.js";
import type { AlertRecord, StatusCounts } from "../store/types.js";
import type { ServiceDeps } from "./deps.js";

const DAY_MS = 86_400_000;

export interface HomeSummary {
  /** Open alerts, newest first, at most `limit`. */
  openAlerts: AlertRecord[];
  /** Every open alert, for the "…N more" line. */
  openTotal: number;
  counts7d: StatusCounts;
  lastAudit: { at: Date; report: AuditReport } | null;
  now: Date;
}

export async function homeSummary(deps: Pick<ServiceDeps, "store" | "now">, limit: number): Promise<HomeSummary> {
  const now = deps.now();
  const [openAlerts, allTime, counts7d, lastAudit] = await Promise.all([
    deps.store.listAlerts({ status: "open", limit }),
    deps.store.countByStatus(new Date(0)),
    deps.store.countByStatus(new Date(now.getTime() - 7 * DAY_MS)),
    deps.store.lastAuditReport(),
  ]);
  return { openAlerts, openTotal: allTime.open, counts7d, lastAudit, now };
}
