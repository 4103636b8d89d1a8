// The SQLite lease: one row per lease name with owner, start, heartbeat and expiry, in the database file
// itself. The table is created here, not by the store's migrations, because the lease must be taken before
// the store migrates: a second instance of a newer build must not change the schema under a running one.
/* eslint-disable @typescript-eslint/require-await -- Leadership is async (PostgreSQL awaits); better-sqlite3 answers
   synchronously, and an async method still turns a thrown SQLite error into a rejection, as callers expect. */
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { hostname } from "node:os";
import { dirname, resolve } from "node:path";
import Database from "better-sqlite3";
import type { AcquireResult, Leadership, LeaseHolder } from "./types.js";

export interface SqliteLeaseOptions {
  /** How long a lease lasts without a heartbeat. */
  ttlMs: number;
  now?: () => Date;
  ownerId?: string;
  /** One lease per name; the poller (and outbox delivery) use "poller". */
  name?: string;
  /**
   * Whether the process behind an owner id is known to be gone, so its lease need not be waited out.
   * Default: a holder on this host whose process no longer exists (see ownerIsGone).
   */
  ownerIsGone?: (owner: string) => boolean;
}

export function defaultOwnerId(): string {
  return `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
}

/**
 * True only when the owner certainly crashed: it ran on this host and its process is gone, or its process id
 * is ours (a restarted container, where the bot is pid 1 again). Anything else (another host, a live or
 * unknown pid, a reused pid) is waited out until the lease expires, which errs on the side of one poller.
 */
export function ownerIsGone(owner: string): boolean {
  const m = /^(.*):(\d+):[0-9a-f]+$/.exec(owner);
  if (!m || m[1] !== hostname()) return false;
  const pid = Number(m[2]);
  if (pid === process.pid) return true;
  try {
    process.kill(pid, 0);
    return false;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "ESRCH";
  }
}

interface Row {
  owner: string;
  acquired_at: number;
  heartbeat_at: number;
  expires_at: number;
}

const toHolder = (r: Row): LeaseHolder => ({
  owner: r.owner,
  since: new Date(r.acquired_at),
  heartbeatAt: new Date(r.heartbeat_at),
  expiresAt: new Date(r.expires_at),
});

export class SqliteLeadership implements Leadership {
  readonly ownerId: string;
  private held = false;
  private readonly db: Database.Database;
  private readonly now: () => Date;
  private readonly name: string;

  /** The database file's absolute path, so the refusal names it unambiguously. */
  readonly resource: string;

  constructor(
    path: string,
    private readonly opts: SqliteLeaseOptions,
  ) {
    this.resource = resolve(path);
    this.ownerId = opts.ownerId ?? defaultOwnerId();
    this.now = opts.now ?? (() => new Date());
    this.name = opts.name ?? "poller";
    mkdirSync(dirname(this.resource), { recursive: true });
    // A connection of its own, so a renewal never waits behind the store's work and closing the store
    // does not drop the lease before it is released.
    this.db = new Database(this.resource);
    this.db.pragma("journal_mode = WAL");
    this.db.pragma("busy_timeout = 5000");
    this.db.exec(
      `CREATE TABLE IF NOT EXISTS trailwatch_lease (
         name TEXT PRIMARY KEY, owner TEXT NOT NULL, acquired_at INTEGER NOT NULL,
         heartbeat_at INTEGER NOT NULL, expires_at INTEGER NOT NULL)`,
    );
  }

  get isHeld(): boolean {
    return this.held;
  }

  async acquire(): Promise<AcquireResult> {
    // IMMEDIATE takes the write lock before reading, so two instances starting together cannot both win.
    const result = this.db
      .transaction((): AcquireResult => {
        const now = this.now().getTime();
        const row = this.db.prepare("SELECT * FROM trailwatch_lease WHERE name = ?").get(this.name) as Row | undefined;
        const isOther = row !== undefined && row.owner !== this.ownerId;
        if (row && isOther && row.expires_at > now && !(this.opts.ownerIsGone ?? ownerIsGone)(row.owner)) {
          return { acquired: false, holder: toHolder(row) };
        }
        this.db
          .prepare(
            `INSERT INTO trailwatch_lease (name, owner, acquired_at, heartbeat_at, expires_at) VALUES (?, ?, ?, ?, ?)
             ON CONFLICT(name) DO UPDATE SET owner = excluded.owner, acquired_at = excluded.acquired_at,
               heartbeat_at = excluded.heartbeat_at, expires_at = excluded.expires_at`,
          )
          .run(this.name, this.ownerId, row?.owner === this.ownerId ? row.acquired_at : now, now, now + this.opts.ttlMs);
        return row && isOther ? { acquired: true, tookOverFrom: toHolder(row) } : { acquired: true };
      })
      .immediate();
    this.held = result.acquired;
    return result;
  }

  async renew(): Promise<boolean> {
    if (!this.db.open) return false;
    const now = this.now().getTime();
    const res = this.db
      .prepare("UPDATE trailwatch_lease SET heartbeat_at = ?, expires_at = ? WHERE name = ? AND owner = ?")
      .run(now, now + this.opts.ttlMs, this.name, this.ownerId);
    this.held = res.changes === 1;
    return this.held;
  }

  async release(): Promise<void> {
    if (!this.db.open) return;
    if (this.held) this.db.prepare("DELETE FROM trailwatch_lease WHERE name = ? AND owner = ?").run(this.name, this.ownerId);
    this.held = false;
    this.db.close();
  }

  /** The current holder, if any (for diagnostics and tests). */
  holder(): LeaseHolder | null {
    const row = this.db.prepare("SELECT * FROM trailwatch_lease WHERE name = ?").get(this.name) as Row | undefined;
    return row ? toHolder(row) : null;
  }
}
