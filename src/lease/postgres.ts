// The PostgreSQL lease: a session-level advisory lock held on a connection of its own. PostgreSQL releases it
// the moment that session ends, so a leader killed with -9 (its socket closed by the kernel) frees the lead at
// once, and a leader cut off from the database loses it when the server drops the session. Unlike the SQLite
// lease, a second instance is welcome: replicas serve Slack requests and retry for the lead (standby).
import pg from "pg";
import { TrailwatchError } from "../aws/errors.js";
import type { AcquireResult, Leadership, LeaseHolder } from "./types.js";
import { defaultOwnerId } from "./sqlite.js";

/** One advisory lock key per purpose; this one is "trailwatch poller" (any fixed 64-bit value would do). */
const POLLER_LOCK_KEY = "7461696c77617463";

export interface PostgresLeaseOptions {
  ownerId?: string;
  /** Lock key (a bigint as text), for tests that need separate leases in one database. */
  key?: string;
  now?: () => Date;
}

/**
 * A connection of its own for session-level advisory locks. TCP keepalive, so a dead network path ends the session
 * on the server too (or a lock would outlive its holder); `onDropped` runs once the session ends, since its locks
 * went with it, and an error on it never crashes the process.
 */
export function lockSession(url: string, applicationName: string, onDropped: () => void): pg.Client {
  const c = new pg.Client({ connectionString: url, application_name: applicationName.slice(0, 63), keepAlive: true });
  c.on("error", onDropped);
  c.on("end", onDropped);
  return c;
}

export class PostgresLeadership implements Leadership {
  readonly ownerId: string;
  readonly resource: string;
  /** Replicas may run beside the leader and wait for the lead (see startApp). */
  readonly allowsStandby = true;
  readonly lostReason =
    "its database session ended, and the advisory lock with it; another replica may lead now. A supervisor that restarts this one brings it back as a standby";
  private client: pg.Client | null = null;
  private held = false;
  private since: Date | null = null;
  private readonly key: string;
  private readonly now: () => Date;

  constructor(
    private readonly url: string,
    opts: PostgresLeaseOptions = {},
  ) {
    this.ownerId = opts.ownerId ?? defaultOwnerId();
    this.key = BigInt(`0x${opts.key ?? POLLER_LOCK_KEY}`).toString();
    this.now = opts.now ?? (() => new Date());
    this.resource = describeUrl(url);
  }

  get isHeld(): boolean {
    return this.held;
  }

  private async connection(): Promise<pg.Client> {
    if (this.client) return this.client;
    // The holder's owner id is visible to the others through pg_stat_activity, for the "who leads" message.
    // A dropped connection means the lock is gone with the session: forget both.
    const c = lockSession(this.url, `trailwatch ${this.ownerId}`, () => {
      if (this.client === c) this.client = null;
      this.held = false;
    });
    try {
      await c.connect();
    } catch (err) {
      throw new TrailwatchError("database-unreachable", `cannot connect to the PostgreSQL database ${this.resource}: ${(err as Error).message}`, { cause: err });
    }
    this.client = c;
    return c;
  }

  async acquire(): Promise<AcquireResult> {
    const c = await this.connection();
    if (this.held) return { acquired: true };
    const r = await c.query<{ ok: boolean }>("SELECT pg_try_advisory_lock($1::bigint) AS ok", [this.key]);
    if (r.rows[0]?.ok === true) {
      this.held = true;
      this.since = this.now();
      return { acquired: true };
    }
    return { acquired: false, holder: await this.holder(c) };
  }

  /**
   * The session holding the lock, as pg_locks and pg_stat_activity show it. Advisory locks are per database, so
   * only this database's holder counts: another deployment on the same cluster takes the same key in its own.
   */
  private async holder(c: pg.Client): Promise<LeaseHolder> {
    const big = BigInt(this.key);
    const classid = Number((big >> 32n) & 0xffffffffn);
    const objid = Number(big & 0xffffffffn);
    const r = await c.query<{ app: string | null; started: Date | null }>(
      `SELECT a.application_name AS app, a.backend_start AS started FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
       WHERE l.locktype = 'advisory' AND l.granted AND l.classid = $1::oid AND l.objid = $2::oid AND l.objsubid = 1
         AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database()) LIMIT 1`,
      [classid, objid],
    );
    const row = r.rows[0];
    const at = this.now();
    const owner = row?.app?.replace(/^trailwatch /, "") ?? "unknown (the lock was released meanwhile)";
    // An advisory lock has no expiry: it lasts as long as the holder's session.
    return { owner, since: row?.started ?? at, heartbeatAt: at, expiresAt: at };
  }

  async renew(): Promise<boolean> {
    if (!this.held || !this.client) return false;
    // The lock is ours as long as our session lives; asking the server proves the session does.
    const r = await this.client.query<{ ok: boolean }>(
      "SELECT EXISTS (SELECT 1 FROM pg_locks WHERE locktype = 'advisory' AND granted AND pid = pg_backend_pid()) AS ok",
    );
    this.held = r.rows[0]?.ok === true;
    return this.held;
  }

  async release(): Promise<void> {
    const c = this.client;
    this.client = null;
    if (!c) return;
    try {
      if (this.held) await c.query("SELECT pg_advisory_unlock($1::bigint)", [this.key]);
    } catch {
      // Ending the session below releases the lock anyway.
    } finally {
      this.held = false;
      await c.end().catch(() => undefined);
    }
  }

  /** When this process took the lead (null while standby). */
  get leadingSince(): Date | null {
    return this.held ? this.since : null;
  }
}

/** host:port/db only: the URL may carry a password, which must never reach a log line. */
export function describeUrl(url: string): string {
  try {
    const u = new URL(url);
    return `postgres://${u.hostname}${u.port ? `:${u.port}` : ""}${u.pathname}`;
  } catch {
    return "postgres database";
  }
}
