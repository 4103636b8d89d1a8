// One Poller per watched account, each with its own CloudTrailLookup (its own LookupEvents limiter: the 2/s
// quota is per account and region) and its own cursor. A tick starts every account's poll at once and waits
// for none: an account whose role is refused, that is throttled or whose endpoint hangs only delays itself.
import { CloudTrailLookup, type LookupOptions } from "../cloudtrail/lookup.js";
import type { NoiseSettings } from "../detect/noise.js";
import type { IamDeletionEventName } from "../domain.js";
import { errorFields, type Logger } from "../log.js";
import * as metrics from "../metrics.js";
import { Poller, type PollerDeps, type PollResult } from "../poller.js";
import type { RulesSource } from "../rules/index.js";
import type { Store } from "../store/types.js";
import type { AccountNotices } from "./notices.js";
import type { AccountRegistry, WatchedAccount } from "./registry.js";
import { scopedStore } from "./store.js";

export interface AccountPollersDeps {
  registry: AccountRegistry;
  store: Store;
  logger: Logger;
  now: () => Date;
  lookbackMinutes: number;
  noise: NoiseSettings;
  eventNames: readonly IamDeletionEventName[];
  onNewAlert?: () => void;
  notices?: AccountNotices;
  lookupOptions?: Omit<LookupOptions, "logger">;
  /** The rules in force (RULES_FILE with the MUTE_* shorthand), shared by every account. */
  rules?: RulesSource;
  /** Per-account poll hooks (the health model and coverage notices follow the bot's own account). */
  pollerHooks?: (scope: string) => Partial<Pick<PollerDeps, "onPollFinished" | "onCoverage">>;
}

/** What `/iam-audit accounts` and /healthz show about one account. */
export interface AccountStatus {
  account: WatchedAccount;
  lastPollAt: Date | null;
  lastCompletedAt: Date | null;
  consecutiveFailures: number;
  lastError: string | null;
  health: "ok" | "failing" | "not polled yet";
}

interface Slot {
  scope: string;
  lookup: CloudTrailLookup;
  poller: Poller;
  lastPollAt: Date | null;
  consecutiveFailures: number;
  running?: Promise<void> | undefined;
  calls: number;
  throttled: number;
}

export class AccountPollers {
  private readonly slots = new Map<string, Slot>();

  constructor(private readonly deps: AccountPollersDeps) {
    this.sync();
  }

  /** Creates pollers for accounts new to the registry and drops those no longer in it. */
  sync(): void {
    const { registry } = this.deps;
    const scopes = new Set(registry.list().map((a) => a.scope));
    for (const scope of [...this.slots.keys()]) {
      if (!scopes.has(scope)) {
        this.slots.delete(scope);
        this.deps.logger.info({ account: scope }, "account no longer watched");
      }
    }
    for (const account of registry.list()) {
      if (this.slots.has(account.scope)) continue;
      this.slots.set(account.scope, this.create(account));
      if (registry.multiAccount) this.deps.logger.info({ account: account.scope, accountName: account.name }, "account watched");
    }
  }

  /** The own account's poller (the app's historical `poller`), or the first one. */
  primary(): Poller | undefined {
    return (this.slots.get("default") ?? [...this.slots.values()][0])?.poller;
  }

  get size(): number {
    return this.slots.size;
  }

  /** Starts a poll of every account that is not already polling; resolves when all of them have ended. */
  tick(): Promise<void> {
    const runs = [...this.slots.keys()].map((scope) => this.pollScope(scope));
    return Promise.all(runs).then(() => undefined);
  }

  /** Polls one account now unless it is already polling (a quick retry after a failed poll). */
  pollScope(scope: string): Promise<void> {
    const slot = this.slots.get(scope);
    if (!slot) return Promise.resolve();
    slot.running ??= this.pollAccount(slot).finally(() => {
      slot.running = undefined;
    });
    return slot.running;
  }

  get isRunning(): boolean {
    return [...this.slots.values()].some((s) => s.running !== undefined);
  }

  status(): AccountStatus[] {
    return [...this.slots.values()].flatMap((slot) => {
      const account = this.deps.registry.get(slot.scope);
      if (!account) return [];
      const failing = slot.consecutiveFailures > 0 || this.deps.registry.assumeState(slot.scope)?.ok === false;
      return [
        {
          account,
          lastPollAt: slot.lastPollAt,
          lastCompletedAt: slot.poller.lastCompletedAt,
          consecutiveFailures: slot.consecutiveFailures,
          lastError: slot.poller.lastError,
          health: slot.lastPollAt === null ? "not polled yet" : failing ? "failing" : "ok",
        },
      ];
    });
  }

  private label(account: WatchedAccount): string {
    return account.id ?? account.scope;
  }

  private create(account: WatchedAccount): Slot {
    const { registry, logger } = this.deps;
    const scope = account.scope;
    const current = (): WatchedAccount => registry.get(scope) ?? account;
    const log = registry.multiAccount ? logger.child({ account: scope }) : logger;
    const lookup = new CloudTrailLookup(registry.clientsForScope(scope).cloudtrail, { ...this.deps.lookupOptions, logger: log });
    // Every event a lookup returns feeds the lag gauge: wrapped here so the lookup itself stays as it is.
    const pages = lookup.pages.bind(lookup);
    lookup.pages = async function* (...args: Parameters<typeof pages>) {
      for await (const page of pages(...args)) {
        for (const e of page.events) metrics.observeEventTime(current().id ?? scope, e.EventTime);
        yield page;
      }
    } as typeof lookup.pages;
    const poller = new Poller({
      scope,
      ...(this.deps.rules ? { rules: this.deps.rules } : {}),
      ...this.deps.pollerHooks?.(scope),
      store: scopedStore(this.deps.store, current, registry.multiAccount),
      lookup,
      logger: log.child({ component: "poller" }),
      now: this.deps.now,
      lookbackMinutes: this.deps.lookbackMinutes,
      noise: this.deps.noise,
      eventNames: this.deps.eventNames,
      onNewAlert: this.deps.onNewAlert,
    });
    return { scope, lookup, poller, lastPollAt: null, consecutiveFailures: 0, calls: 0, throttled: 0 };
  }

  private async pollAccount(slot: Slot): Promise<void> {
    const account = this.deps.registry.get(slot.scope);
    if (!account) return;
    const label = this.label(account);
    const endTimer = metrics.pollDuration.startTimer({ account: label });
    let result: PollResult | null = null;
    try {
      result = await slot.poller.pollOnce();
    } catch (err) {
      // The poller handles lookup failures itself; this is a store or programming error.
      this.deps.logger.error({ account: slot.scope, ...errorFields(err) }, "poll failed");
    }
    endTimer();
    metrics.lookupCalls.inc({ account: label }, slot.lookup.calls - slot.calls);
    metrics.lookupThrottles.inc({ account: label }, slot.lookup.throttled - slot.throttled);
    slot.calls = slot.lookup.calls;
    slot.throttled = slot.lookup.throttled;
    slot.lastPollAt = this.deps.now();
    const ok = result?.completed === true;
    slot.consecutiveFailures = ok ? 0 : slot.consecutiveFailures + 1;
    metrics.polls.inc({ account: label, result: ok ? "completed" : "failed" });
    metrics.accountUp.set({ account: label }, ok ? 1 : 0);
    if (ok && slot.poller.lastCompletedAt) metrics.lastCompletedPoll.set({ account: label }, slot.poller.lastCompletedAt.getTime() / 1000);
    const assume = this.deps.registry.assumeState(slot.scope);
    await this.deps.notices
      ?.update(account, {
        ok,
        consecutiveFailures: slot.consecutiveFailures,
        ...(!ok && assume && !assume.ok && assume.error ? { assumeError: assume.error } : {}),
        error: slot.poller.lastError,
      })
      .catch((err: unknown) => { this.deps.logger.error(errorFields(err), "account notice failed"); });
  }
}
