// One poller per database. The SQLite engine (sqlite.ts) refuses a second instance; a PostgreSQL engine
// (advisory lock) can make replicas wait for the lead instead. Both fit this interface.
import { TrailwatchError } from "../aws/errors.js";

/** Who holds the lease, as recorded by the holder. */
export interface LeaseHolder {
  owner: string;
  /** When the holder took the lease. */
  since: Date;
  heartbeatAt: Date;
  /** After this, the holder is presumed dead and the lease may be taken over. */
  expiresAt: Date;
}

export type AcquireResult = { acquired: true; tookOverFrom?: LeaseHolder } | { acquired: false; holder: LeaseHolder };

export interface Leadership {
  /** This process's owner id (host, pid and a random part). */
  readonly ownerId: string;
  /** Where the lease lives, for messages (a file path, a database name). */
  readonly resource: string;
  readonly isHeld: boolean;
  /**
   * PostgreSQL (issue 12): true when an instance that finds the lease held may run as a standby replica (serve
   * Slack, retry for the lead) instead of refusing to start. Absent: refuse, as the SQLite lease does.
   */
  readonly allowsStandby?: boolean;
  /** Why a lost lease was lost, when the engine knows better than "taken over" (PostgreSQL: the session ended). */
  readonly lostReason?: string;
  /** Takes the lease if it is free, ours, or expired. */
  acquire(): Promise<AcquireResult>;
  /** Extends the lease. false: it is no longer ours (taken over after we stalled); stop working at once. */
  renew(): Promise<boolean>;
  /** Gives the lease up so a successor need not wait for the expiry. Safe to call twice. */
  release(): Promise<void>;
}

/** A second instance against a database whose lease another live instance holds. */
export class LeaseHeldError extends TrailwatchError {
  constructor(
    readonly resource: string,
    readonly holder: LeaseHolder,
  ) {
    super(
      "lease-held",
      `another trailwatch instance is already polling the database ${resource}: ` +
        `owner ${holder.owner} has held it since ${holder.since.toISOString()} (last heartbeat ${holder.heartbeatAt.toISOString()}). ` +
        `Stop that instance or give this one another DATABASE_URL; if the holder crashed, start again after ${holder.expiresAt.toISOString()}, when its lease expires.`,
    );
  }
}

/** The lease was taken over while we held it (this process stalled longer than the lease lasts). */
export class LeaseLostError extends TrailwatchError {
  constructor(
    readonly resource: string,
    reason = "another instance took it over after this one stopped renewing",
  ) {
    super("lease-lost", `lost the poller lease on the database ${resource} (${reason}); stopping so that only one instance polls`);
  }
}

/** Exit code of a process that found (or lost) the lease held by another instance. */
export const LEASE_EXIT_CODE = 3;
