// Takes, stores and reads IAM snapshots. Content is canonical JSON, hashed (SHA-256) and gzip-compressed;
// the store keeps an unchanged snapshot once and only moves its "confirmed at" time. A snapshot that
// fails is logged and reported to the caller, never thrown out of the schedule.
import { createHash } from "node:crypto";
import { gunzipSync, gzipSync } from "node:zlib";
import type { IAMClient } from "@aws-sdk/client-iam";
import { LRUCache } from "lru-cache";
import { errorFields, type Logger } from "../log.js";
import { classifyAwsError } from "../aws/errors.js";
import { stableJson } from "../remediation/aws.js";
import type { Store } from "../store/types.js";
import { iamSnapshotSchema, type IamSnapshot, type SnapshotMeta } from "./model.js";
import { takeSnapshot } from "./take.js";

export interface LoadedSnapshot {
  meta: SnapshotMeta;
  snapshot: IamSnapshot;
}

/** What remediations and the alert line need: read-only access to stored snapshots. */
export interface SnapshotSource {
  get(id: number): Promise<LoadedSnapshot | null>;
  /** The newest snapshot whose content was first seen at or before `at`. */
  latestAtOrBefore(at: Date): Promise<LoadedSnapshot | null>;
  /** The oldest snapshot still kept, for "taken after the deletion" explanations. */
  oldest(): Promise<SnapshotMeta | null>;
}

export type SnapshotRunResult =
  | { ok: true; meta: SnapshotMeta; stored: boolean; calls: number; ms: number; rawBytes: number; gaps: string[]; pruned: number }
  | { ok: false; error: string; calls: number; ms: number };


function encodeSnapshot(snapshot: IamSnapshot): { json: string; hash: string; data: Buffer } {
  const json = stableJson(snapshot);
  return { json, hash: createHash("sha256").update(json).digest("hex"), data: gzipSync(json) };
}

export function decodeSnapshot(data: Buffer): IamSnapshot {
  return iamSnapshotSchema.parse(JSON.parse(gunzipSync(data).toString("utf8")));
}

export interface SnapshotServiceOptions {
  store: Store;
  /** The account scope snapshotted and read: "default" (the bot's own account) or a 12-digit account id. */
  scope: string;
  /** An IAM client acting in that account; a function is asked at each run (the registry may replace its clients). */
  iam: IAMClient | (() => IAMClient);
  logger: Logger;
  now: () => Date;
  retentionDays: number;
}

/**
 * One account's snapshots: takes them with that account's IAM client and reads only that account's stored
 * snapshots. A snapshot id of another scope is refused (null), so a restore bound to snapshot #N can never
 * rebuild one account's resources from another account's snapshot. The schedule is SnapshotFleet's.
 */
export class SnapshotService implements SnapshotSource {
  private running: Promise<SnapshotRunResult> | null = null;
  // Decompressed snapshots are a few MB for a large account; a handful is plenty for alerts and plans.
  private readonly cache = new LRUCache<number, IamSnapshot>({ max: 4 });

  constructor(private readonly opts: SnapshotServiceOptions) {}

  get scope(): string {
    return this.opts.scope;
  }

  /** Takes a snapshot now; a second caller while one runs gets the same run. */
  run(reason: string): Promise<SnapshotRunResult> {
    this.running ??= this.runOnce(reason).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async runOnce(reason: string): Promise<SnapshotRunResult> {
    const { logger, store, scope } = this.opts;
    const started = Date.now();
    const at = this.opts.now();
    let calls = 0;
    try {
      const taken = await takeSnapshot(typeof this.opts.iam === "function" ? this.opts.iam() : this.opts.iam);
      calls = taken.calls;
      // A member's role that lives in another account (a wrong roleArn in ACCOUNTS_FILE) would file that account's
      // IAM under this one, and restores here would rebuild from it: refused, and said.
      const read = taken.snapshot.accountId;
      if (/^\d{12}$/.test(scope) && read !== undefined && read !== scope) {
        const error = `the role used for account ${scope} reads the IAM of account ${read}; snapshot not stored (check that account's roleArn)`;
        logger.error({ reason, calls, readAccount: read }, `IAM snapshot REFUSED: ${error}`);
        return { ok: false, error, calls, ms: Date.now() - started };
      }
      const { json, hash, data } = encodeSnapshot(taken.snapshot);
      const { meta, stored } = await store.saveSnapshot({ scope, at, hash, data, rawBytes: Buffer.byteLength(json) });
      const pruned = await store.pruneSnapshots(scope, new Date(at.getTime() - this.opts.retentionDays * 86_400_000));
      const ms = Date.now() - started;
      const fields = {
        reason,
        snapshotId: meta.id,
        stored,
        calls,
        ms,
        rawBytes: meta.rawBytes,
        storedBytes: meta.storedBytes,
        roles: taken.snapshot.roles.length,
        users: taken.snapshot.users.length,
        pruned,
      };
      if (taken.snapshot.gaps.length > 0) {
        logger.warn({ ...fields, gaps: taken.snapshot.gaps }, "IAM snapshot taken with gaps: these parts cannot be restored from it");
      } else {
        logger.info(fields, stored ? "IAM snapshot stored" : "IAM snapshot unchanged; confirmed the latest");
      }
      return { ok: true, meta, stored, calls, ms, rawBytes: meta.rawBytes, gaps: taken.snapshot.gaps, pruned };
    } catch (err) {
      const info = classifyAwsError(err);
      const error = `${info.code}: ${info.message}`.slice(0, 500);
      logger.error({ reason, ...errorFields(err) }, `IAM snapshot FAILED (${error}); restores use the previous snapshot`);
      return { ok: false, error, calls, ms: Date.now() - started };
    }
  }

  async get(id: number): Promise<LoadedSnapshot | null> {
    const row = await this.opts.store.getSnapshot(id);
    if (!row) return null;
    if (row.meta.scope !== this.opts.scope) {
      this.opts.logger.warn({ snapshotId: id, snapshotScope: row.meta.scope, scope: this.opts.scope }, "refused a snapshot of another account");
      return null;
    }
    let snapshot = this.cache.get(id);
    if (!snapshot) {
      snapshot = decodeSnapshot(row.data);
      this.cache.set(id, snapshot);
    }
    return { meta: row.meta, snapshot };
  }

  async latestAtOrBefore(at: Date): Promise<LoadedSnapshot | null> {
    const [meta] = await this.opts.store.listSnapshots({ scope: this.opts.scope, takenAtOrBefore: at, limit: 1 });
    return meta ? this.get(meta.id) : null;
  }

  async oldest(): Promise<SnapshotMeta | null> {
    const all = await this.opts.store.listSnapshots({ scope: this.opts.scope, limit: 100_000 });
    return all.at(-1) ?? null;
  }
}
