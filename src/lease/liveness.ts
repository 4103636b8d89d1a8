// Replica liveness on PostgreSQL: each replica holds a session-level advisory lock keyed on its instance id, on a
// connection of its own, for the life of the process. PostgreSQL releases it the moment that session ends, so a
// replica killed with -9 (its socket closed by the kernel) is seen dead at once, as the leader lease is
// (src/lease/postgres.ts). "Is instance X alive?" is answered by trying X's lock: taken means X is gone (the lock is
// released again at once, so the answer stays the same for the next asker); refused means X's session still holds it.
//
// Keys: the two-int form of the advisory lock (a key space of its own, apart from the single-bigint poller lock),
// with a fixed first int and 32 bits of SHA-256 of the instance id. Two live ids that share a hash only make a
// dead one look alive (its executions then wait), never the reverse, and an id sharing this instance's own hash
// is always reported alive.
import { createHash } from "node:crypto";
import type pg from "pg";
import { TrailwatchError } from "../aws/errors.js";
import { errorFields, type Logger } from "../log.js";
import { lockSession } from "./postgres.js";

/** First key of every liveness lock ("twlv" as an int4). */
const LIVENESS_LOCK_SPACE = 0x74776c76;

/** The second key of an instance's liveness lock: 32 bits of SHA-256 of its id, as a signed int4. */
export function livenessKey(ownerId: string): number {
  return createHash("sha256").update(ownerId).digest().readInt32BE(0);
}

export interface OwnerLiveness {
  /** Whether the instance with this id still runs (its liveness lock is held). */
  isAlive(ownerId: string): Promise<boolean>;
}

export interface PostgresLivenessOptions {
  logger: Logger;
  /** Delay before reconnecting after the session dropped (doubles up to 10 s). */
  reconnectMs?: number;
}

export class PostgresLiveness implements OwnerLiveness {
  private client: pg.Client | null = null;
  private held = false;
  private stopped = false;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private readonly key: number;

  constructor(
    private readonly url: string,
    readonly ownerId: string,
    private readonly opts: PostgresLivenessOptions,
  ) {
    this.key = livenessKey(ownerId);
  }

  /** Whether this instance's own liveness lock is held right now. */
  get isHeld(): boolean {
    return this.held;
  }

  /** Connects and takes this instance's lock; throws when that is impossible (the database is unreachable). */
  async start(): Promise<void> {
    this.stopped = false;
    if (!(await this.takeOwnLock())) {
      throw new TrailwatchError("liveness-lock-held", `the liveness lock of instance ${this.ownerId} is held by another session; start again (a new instance id is drawn at each start)`);
    }
  }

  private async takeOwnLock(): Promise<boolean> {
    const c: pg.Client = lockSession(this.url, `trailwatch liveness ${this.ownerId}`, () => {
      this.dropped(c);
    });
    try {
      await c.connect();
      const r = await c.query<{ ok: boolean }>("SELECT pg_try_advisory_lock($1::int4, $2::int4) AS ok", [LIVENESS_LOCK_SPACE, this.key]);
      if (r.rows[0]?.ok !== true) {
        await c.end().catch(() => undefined);
        return false;
      }
    } catch (err) {
      await c.end().catch(() => undefined);
      throw new TrailwatchError("database-unreachable", `cannot take the replica liveness lock: ${(err as Error).message}`, { cause: err });
    }
    this.client = c;
    this.held = true;
    return true;
  }

  /**
   * The session ended (network, server restart): the lock went with it, so other replicas may now see this one as
   * dead. Take it again as soon as possible; a checker that has just taken it releases it at once.
   */
  private dropped(c: pg.Client): void {
    if (this.client !== c) return;
    this.client = null;
    this.held = false;
    if (this.stopped) return;
    this.opts.logger.error({ owner: this.ownerId }, "lost the replica liveness lock (database session ended); retaking it");
    this.retake(this.opts.reconnectMs ?? 500);
  }

  private retake(delayMs: number): void {
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.stopped) return;
      this.takeOwnLock()
        .then((ok) => {
          if (ok) this.opts.logger.info({ owner: this.ownerId }, "replica liveness lock retaken");
          else this.retake(Math.min(delayMs * 2, 10_000));
        })
        .catch((err: unknown) => {
          this.opts.logger.warn(errorFields(err), "could not retake the replica liveness lock; trying again");
          this.retake(Math.min(delayMs * 2, 10_000));
        });
    }, delayMs);
    this.reconnectTimer.unref();
  }

  async isAlive(ownerId: string): Promise<boolean> {
    const key = livenessKey(ownerId);
    // Ourselves, or an id this session cannot tell from ours (its lock would be ours, re-entrantly).
    if (ownerId === this.ownerId || key === this.key) return true;
    const c = this.client;
    if (!c) throw new TrailwatchError("database-unreachable", "the replica liveness session is down; cannot tell whether another replica is alive");
    const r = await c.query<{ got: boolean }>("SELECT pg_try_advisory_lock($1::int4, $2::int4) AS got", [LIVENESS_LOCK_SPACE, key]);
    if (r.rows[0]?.got !== true) return true;
    // Taken: its session is gone. Release at once, so the answer holds for the next asker too.
    await c.query("SELECT pg_advisory_unlock($1::int4, $2::int4)", [LIVENESS_LOCK_SPACE, key]);
    return false;
  }

  /** Releases the lock and ends the session. Safe to call twice. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    const c = this.client;
    this.client = null;
    this.held = false;
    if (!c) return;
    // Ending the session releases the lock.
    await c.end().catch(() => undefined);
  }
}
