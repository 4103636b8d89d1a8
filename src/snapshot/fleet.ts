// IAM snapshots of every watched account on one schedule: at start-up and on SNAPSHOT_SCHEDULE the leader
// snapshots each account through that account's IAM client, a few at a time (a large account takes a minute and
// hundreds of IAM calls). One account failing (AssumeRole denied, throttled) is logged with the account and
// never stops the others. The account list is read at each run, so accounts that discovery adds are snapshotted
// at the next one. Each account's snapshots are read through its own SnapshotService, which refuses another
// account's snapshot.
import type { IAMClient } from "@aws-sdk/client-iam";
import cron from "node-cron";
import type { Logger } from "../log.js";
import { forgetSnapshotAccounts, setSnapshotTakenAt } from "../metrics.js";
import { DEFAULT_SCOPE } from "../poller.js";
import type { Store } from "../store/types.js";
import type { SnapshotMeta } from "./model.js";
import { SnapshotService, type SnapshotRunResult, type SnapshotSource } from "./service.js";
import { eachLimited } from "./take.js";

/** Store scope of the bot's own account (as the pollers' and the registry's). */

/** The part of a watched account the snapshots need (src/accounts/registry.ts WatchedAccount). */
export interface SnapshotAccount {
  scope: string;
  id: string | null;
  name: string;
  own: boolean;
}

export interface AccountSnapshotResult {
  account: SnapshotAccount;
  result: SnapshotRunResult;
}

/** What this process last saw of an account's snapshots (for `/iam-audit accounts`). */
export interface AccountSnapshotState {
  /** The newest stored snapshot (read from the store, so a replica that never led knows it too). */
  latest: SnapshotMeta | null;
  /** The last run of this process for the account, when it failed. */
  failure: { at: Date; error: string } | null;
}

/** Which account's snapshots serve an alert: its scope, or why none can. */
type SnapshotScope = { ok: true; scope: string } | { ok: false; reason: string };

/** Each account's snapshots, found from an alert's account id. */
export interface AccountSnapshotSources {
  forAccount(accountId: string | null | undefined, ownAccountId: string | null): { ok: true; scope: string; source: SnapshotSource } | { ok: false; reason: string };
}

interface SnapshotFleetOptions {
  store: Store;
  /** The accounts to snapshot, read at each run (the registry's list). */
  accounts: () => SnapshotAccount[];
  /** The IAM client acting in an account (the registry's clientsForScope(scope).iam); may throw. */
  iamFor: (scope: string) => IAMClient;
  logger: Logger;
  now: () => Date;
  retentionDays: number;
  schedule?: string;
  /** Accounts snapshotted at once. */
  concurrency?: number;
}

const DEFAULT_CONCURRENCY = 3;

/** The metrics label of an account: its id, as the poll metrics use it, else its scope. */
const label = (a: SnapshotAccount): string => a.id ?? a.scope;

export class SnapshotFleet implements AccountSnapshotSources {
  private readonly services = new Map<string, SnapshotService>();
  private readonly failures = new Map<string, { at: Date; error: string }>();
  private running: Promise<AccountSnapshotResult[]> | null = null;
  private task: ReturnType<typeof cron.schedule> | null = null;

  constructor(private readonly opts: SnapshotFleetOptions) {}

  /**
   * The snapshots of one scope: taken through that account's client, read only from that scope. A scope that is
   * no longer watched still reads what is stored (a run then fails, saying the account is not watched).
   */
  source(scope: string): SnapshotService {
    let s = this.services.get(scope);
    if (!s) {
      const account = this.opts.accounts().find((a) => a.scope === scope);
      // The own account's log lines stay as they were with one account; the others name their account.
      const logger = scope === DEFAULT_SCOPE ? this.opts.logger : this.opts.logger.child({ account: account ? label(account) : scope });
      s = new SnapshotService({
        store: this.opts.store,
        scope,
        iam: () => this.opts.iamFor(scope),
        logger,
        now: this.opts.now,
        retentionDays: this.opts.retentionDays,
      });
      this.services.set(scope, s);
    }
    return s;
  }

  forAccount(accountId: string | null | undefined, ownAccountId: string | null): { ok: true; scope: string; source: SnapshotSource } | { ok: false; reason: string } {
    const found = snapshotScopeFor(accountId, ownAccountId, (scope) => this.opts.accounts().some((a) => a.scope === scope));
    return found.ok ? { ...found, source: this.source(found.scope) } : found;
  }

  /** Snapshots every watched account now; a second caller while a run goes on gets the same run. */
  run(reason: string): Promise<AccountSnapshotResult[]> {
    this.running ??= this.runAll(reason).finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private async runAll(reason: string): Promise<AccountSnapshotResult[]> {
    const accounts = this.opts.accounts();
    forgetSnapshotAccounts(new Set(accounts.map(label)));
    const results: AccountSnapshotResult[] = [];
    await eachLimited(accounts, this.opts.concurrency ?? DEFAULT_CONCURRENCY, async (account) => {
      // SnapshotService.run never throws: a failure (AssumeRole denied, throttling) is its result.
      const result = await this.source(account.scope).run(reason);
      if (result.ok) {
        this.failures.delete(account.scope);
        setSnapshotTakenAt(label(account), result.meta.confirmedAt);
      } else {
        this.failures.set(account.scope, { at: this.opts.now(), error: result.error });
      }
      results.push({ account, result });
    });
    if (accounts.length > 1) {
      const failed = results.filter((r) => !r.result.ok).map((r) => label(r.account));
      const fields = { reason, accounts: accounts.length, failed: failed.length, ...(failed.length > 0 ? { failedAccounts: failed.slice(0, 50) } : {}) };
      if (failed.length > 0) this.opts.logger.warn(fields, "IAM snapshots of the watched accounts finished; some failed (their restores use their previous snapshot)");
      else this.opts.logger.info(fields, "IAM snapshots of the watched accounts finished");
    }
    return results;
  }

  /** Each watched account's newest stored snapshot and the last failure this process saw. */
  async states(): Promise<Map<string, AccountSnapshotState>> {
    const latest = new Map((await this.opts.store.latestSnapshots()).map((m) => [m.scope, m]));
    const out = new Map<string, AccountSnapshotState>();
    for (const a of this.opts.accounts()) out.set(a.scope, { latest: latest.get(a.scope) ?? null, failure: this.failures.get(a.scope) ?? null });
    return out;
  }

  /** Seeds the snapshot age metric from the store (a new leader, a restart), before its first run finishes. */
  async seedMetrics(): Promise<void> {
    const states = await this.states();
    for (const a of this.opts.accounts()) {
      const latest = states.get(a.scope)?.latest;
      if (latest) setSnapshotTakenAt(label(a), latest.confirmedAt);
    }
  }

  /** A snapshot of every account at start-up, then on the schedule. */
  start(): void {
    void this.seedMetrics()
      .catch(() => undefined)
      .then(() => this.run("start-up"));
    if (!this.opts.schedule) return;
    this.task = cron.schedule(
      this.opts.schedule,
      async () => {
        await this.run("schedule");
      },
      {
        name: "iam-snapshot",
        noOverlap: true,
        logger: {
          info: (m: string) => { this.opts.logger.debug({ component: "cron" }, m); },
          warn: (m: string) => { this.opts.logger.debug({ component: "cron" }, m); },
          error: (m: string | Error) => { this.opts.logger.error({ component: "cron" }, String(m)); },
          debug: (m: string | Error) => { this.opts.logger.debug({ component: "cron" }, String(m)); },
        },
      },
    );
  }

  /** Stops the schedule; a running snapshot gets a few seconds to finish (a large account takes a minute). */
  async stop(graceMs = 10_000): Promise<void> {
    await this.task?.stop();
    this.task = null;
    if (!this.running) return;
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([this.running.catch(() => undefined), new Promise((r) => (timer = setTimeout(r, graceMs)))]);
    clearTimeout(timer);
  }
}

/**
 * Which account's snapshots an alert from `accountId` may use. No account id (alerts from before many-account
 * support) and the own id are the own account; a watched account is its own scope. Fails closed: an account not
 * watched has no snapshots, and while the bot's own id is unknown an id that is not a watched member account
 * might be the own one, so it is matched to no snapshots rather than possibly the wrong ones.
 */
export function snapshotScopeFor(accountId: string | null | undefined, ownAccountId: string | null, watched: (scope: string) => boolean): SnapshotScope {
  if (!accountId || accountId === ownAccountId) return { ok: true, scope: DEFAULT_SCOPE };
  if (watched(accountId)) return { ok: true, scope: accountId };
  if (ownAccountId === null) {
    return { ok: false, reason: `the bot cannot tell which account is its own (STS GetCallerIdentity failed), so it cannot tell which account's IAM snapshots cover account ${accountId}` };
  }
  return { ok: false, reason: `account ${accountId} is not among the accounts trailwatch watches, so it has no IAM snapshots of it` };
}
