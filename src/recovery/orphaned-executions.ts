// Crash recovery between PostgreSQL replicas. Any replica may execute an approved remediation (the one that
// received the click), and the store records which (remediation_requests.executed_by). A replica that dies
// mid-execution (kill -9, a lost node) leaves its request "executing"; the leader finds such requests when it
// gains the lead and then at every sweep, and settles those whose executing instance is gone (its liveness lock,
// src/lease/liveness.ts, can be taken) with the same read-back reconciliation as after a restart, never running
// them again. An execution of a live replica is left alone, whoever leads. Settling is conditional on the state
// (Store.settleRecoveredRemediationRequest), so two leaders overlapping briefly still settle and post it once.
import { errorFields, type Logger } from "../log.js";
import type { OwnerLiveness } from "../lease/liveness.js";
import type { RemediationRequestRecord, Store } from "../store/types.js";

/**
 * A request claimed by a build from before executed_by was recorded has no owner to ask about. It is settled only
 * once its approval is this old: an execution takes seconds, and such a build only runs during a rolling upgrade.
 */
export const UNOWNED_GRACE_MS = 15 * 60_000;

export interface SweepResult {
  executing: number;
  /** Executing requests whose instance is gone (settled now, or already settled by another leader). */
  orphaned: number;
  /** Outcomes of the requests settled by this sweep. */
  counts: Record<string, number>;
}

export interface OrphanedExecutionsOptions {
  store: Pick<Store, "listExecutingRemediationRequests">;
  liveness: OwnerLiveness;
  /** Settles requests by reading IAM back (recoverExecutingRequests in src/services/recovery.ts); returns outcome counts. */
  settle: (requests: RemediationRequestRecord[]) => Promise<Record<string, number>>;
  /** Whether this replica leads now: only the leader settles. */
  isLeader: () => boolean;
  logger: Logger;
  now: () => Date;
  /** Time between sweeps while leading. */
  intervalMs: number;
  /** Timers, for tests (default the global ones). */
  setInterval?: (fn: () => void, ms: number) => unknown;
  clearInterval?: (timer: unknown) => void;
}

export class OrphanedExecutions {
  private timer: unknown;
  private running: Promise<unknown> = Promise.resolve();
  private busy = false;
  private stopped = false;

  constructor(private readonly opts: OrphanedExecutionsOptions) {}

  /** Which of these executing requests belong to an instance that is gone. */
  private async orphans(requests: RemediationRequestRecord[]): Promise<RemediationRequestRecord[]> {
    const alive = new Map<string, boolean>();
    const out: RemediationRequestRecord[] = [];
    for (const req of requests) {
      if (req.executedBy === undefined) {
        const decided = req.decidedAt?.getTime() ?? 0;
        if (this.opts.now().getTime() - decided >= UNOWNED_GRACE_MS) out.push(req);
        continue;
      }
      let isAlive = alive.get(req.executedBy);
      if (isAlive === undefined) {
        isAlive = await this.opts.liveness.isAlive(req.executedBy);
        alive.set(req.executedBy, isAlive);
      }
      if (!isAlive) out.push(req);
    }
    return out;
  }

  /** One sweep; does nothing unless this replica leads. */
  async sweep(): Promise<SweepResult> {
    if (!this.opts.isLeader()) return { executing: 0, orphaned: 0, counts: {} };
    const executing = await this.opts.store.listExecutingRemediationRequests();
    const orphaned = executing.length === 0 ? [] : await this.orphans(executing);
    this.opts.logger.debug({ executing: executing.length, orphaned: orphaned.length }, "checked remediations left executing");
    if (orphaned.length === 0 || !this.opts.isLeader()) return { executing: executing.length, orphaned: orphaned.length, counts: {} };
    const counts = await this.opts.settle(orphaned);
    this.opts.logger.info(
      { counts, requests: orphaned.map((r) => ({ id: r.id, executedBy: r.executedBy ?? null })) },
      "remediations left executing by a stopped replica were reconciled from IAM",
    );
    return { executing: executing.length, orphaned: orphaned.length, counts };
  }

  /** Sweeps now (the lead was just gained) and then every intervalMs; a sweep still running is not overlapped. */
  start(): void {
    if (this.timer !== undefined || this.stopped) return;
    const tick = (): void => {
      if (this.busy || this.stopped) return;
      this.busy = true;
      this.running = this.sweep()
        .catch((err: unknown) => {
          this.opts.logger.error(errorFields(err), "could not check for remediations left executing by a stopped replica");
        })
        .finally(() => {
          this.busy = false;
        });
    };
    tick();
    if (this.opts.setInterval) this.timer = this.opts.setInterval(tick, this.opts.intervalMs);
    else this.timer = setInterval(tick, this.opts.intervalMs).unref();
  }

  /** Stops sweeping and waits for a sweep in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer !== undefined) {
      if (this.opts.clearInterval) this.opts.clearInterval(this.timer);
      else clearInterval(this.timer as NodeJS.Timeout);
    }
    this.timer = undefined;
    await this.running;
  }
}
