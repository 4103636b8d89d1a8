// Decides which alerts become one Slack message: deletion chains (one actor taking one resource apart) and
// storm digests (more than DIGEST_THRESHOLD deletions within DIGEST_WINDOW, by one actor or in total).
//
// Pure and clock-injected: no store, no Slack. Live delivery feeds it the alerts waiting to be posted;
// `trailwatch replay` can feed it a whole file. Decisions are final: an alert already assigned (and maybe
// already posted) is never moved, so a group only ever grows, and its message only grows in place.
//
// Windows are measured in event time, not arrival time: CloudTrail delivers late and LookupEvents returns
// events by name, not in time order, so a chain split across polls or delivered late must still meet its
// group. A group stays joinable until nothing of it is newer than its window plus `lateJoinMs`.
import type { Severity } from "../domain.js";
import { SEVERITY_RANK } from "../domain.js";
import { resourceKey, type GroupableEvent, type ResourceRef } from "./keys.js";

export interface GroupingSettings {
  /** CHAIN_WINDOW: a step joins a chain when it is this close in time to a step already in it. */
  chainWindowMs: number;
  /** DIGEST_THRESHOLD: more than this many deletions within the digest window start a digest. */
  digestThreshold: number;
  /** DIGEST_WINDOW. */
  digestWindowMs: number;
  /** How late (after a group's last event) an event may still arrive and join it: the poll lookback. */
  lateJoinMs: number;
}

export const DEFAULT_GROUPING: GroupingSettings = {
  chainWindowMs: 5 * 60_000,
  digestThreshold: 10,
  digestWindowMs: 2 * 60_000,
  lateJoinMs: 20 * 60_000,
};

export type GroupKind = "chain" | "digest";

/** A group as the grouper keeps it (and as the store persists it, so a restart continues the same group). */
export interface GroupSnapshot {
  /** `${kind}:${first member's event id}`: stable, unique, and the same in replay as live. */
  id: string;
  kind: GroupKind;
  /** The actor all members share; null for a digest over all actors. */
  actor: string | null;
  accountId: string;
  /** Chains: the resource being taken apart (the one the root-deleting call named, else the first step's). */
  root: ResourceRef | null;
  /** Chains: resource keys of every step and its links, so a later step on any of them joins. */
  keys: string[];
  firstAt: Date;
  lastAt: Date;
  memberIds: string[];
  severity: Severity;
  /** Chains: the root was named by the call that deleted it, so later steps do not rename it. */
  rootFromDeletion: boolean;
  /** The channel its members are routed to (null or absent: the alert channel); see GroupableEvent.route. */
  route?: string | null;
}

export interface Assignment {
  eventId: string;
  /** null: the alert stands alone (no resource to chain on, no storm). */
  groupId: string | null;
  kind: GroupKind | null;
  /** True when this alert opened the group. */
  opened: boolean;
}

type Group = GroupSnapshot;

/** Ids remembered before old ones are forgotten (a bound on memory over a long replay or uptime). */
const MAX_IDS = 200_000;

function insertSorted(arr: number[], v: number): void {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((arr[mid] as number) <= v) lo = mid + 1;
    else hi = mid;
  }
  arr.splice(lo, 0, v);
}

/** Index of the first element >= v (or > v with `strict`). */
function lowerBound(arr: readonly number[], v: number, strict = false): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const x = arr[mid] as number;
    if (x < v || (strict && x === v)) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The most events any window of `w` ms that contains `t` holds. */
function busiestWindowAround(times: readonly number[], t: number, w: number): number {
  let best = 0;
  const from = lowerBound(times, t - w);
  for (let i = from; i < times.length && (times[i] as number) <= t; i++) {
    const end = lowerBound(times, (times[i] as number) + w, true);
    best = Math.max(best, end - i);
  }
  return best;
}

export class Grouper {
  private readonly groups = new Map<string, Group>();
  /** Event times (ms) of every alert seen recently, per actor and in total: the digest threshold counts these. */
  private readonly seenByActor = new Map<string, number[]>();
  private readonly seenAll: number[] = [];
  /** Event id -> event time (ms) of every alert counted: an alert is counted once, however often it is fed. */
  private readonly seenIds = new Map<string, number>();
  private forgetIdsAbove = MAX_IDS;
  private readonly assigned = new Map<string, string | null>();
  /** While `assign` runs: the event times of its batch, per actor and in total, sorted (see `bridged`). */
  private batchTimes: { byActor: Map<string, number[]>; all: number[] } | null = null;

  constructor(
    private readonly settings: GroupingSettings,
    private readonly now: () => Date,
  ) {}

  /** Digests off: a threshold this high can never be crossed in practice (DIGEST_THRESHOLD=1000000). */
  get digestsEnabled(): boolean {
    return this.settings.digestThreshold < 1_000_000;
  }

  /**
   * Reloads state after a restart: the open groups and the recent alerts (with the group each one joined),
   * so counting and joining continue as if the process had never stopped.
   */
  restore(groups: readonly GroupSnapshot[], seen: readonly { event: GroupableEvent; groupId: string | null }[]): void {
    for (const g of groups) {
      this.groups.set(g.id, { ...g, keys: [...g.keys], memberIds: [...g.memberIds] });
    }
    for (const s of seen) {
      this.see(s.event);
      this.assigned.set(s.event.id, s.groupId);
    }
    this.prune();
  }

  /** The group an alert joined, if the grouper has seen it (undefined: never seen; null: stands alone). */
  groupOf(eventId: string): string | null | undefined {
    return this.assigned.get(eventId);
  }

  group(id: string): GroupSnapshot | undefined {
    const g = this.groups.get(id);
    return g ? snapshot(g) : undefined;
  }

  /** Open groups, oldest first. */
  openGroups(): GroupSnapshot[] {
    return [...this.groups.values()].sort((a, b) => a.firstAt.getTime() - b.firstAt.getTime()).map(snapshot);
  }

  /**
   * Assigns a batch of alerts (in any order; they are taken in event-time order). Every alert of the batch
   * counts towards the digest threshold before any is assigned, so the first events of a storm already join
   * its digest instead of going out one by one. Alerts seen before keep their assignment.
   */
  assign(batch: readonly GroupableEvent[]): Assignment[] {
    this.prune();
    const fresh = batch
      .filter((e) => !this.assigned.has(e.id))
      .sort((a, b) => a.time.getTime() - b.time.getTime() || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
    for (const e of fresh) this.see(e);
    const byActor = new Map<string, number[]>();
    for (const e of fresh) {
      const mine = byActor.get(e.actor) ?? [];
      mine.push(e.time.getTime());
      byActor.set(e.actor, mine);
    }
    this.batchTimes = { byActor, all: fresh.map((e) => e.time.getTime()) };
    const out: Assignment[] = [];
    try {
      for (const e of fresh) {
        if (this.assigned.has(e.id)) continue; // duplicate id within the batch
        const a = this.assignOne(e);
        this.assigned.set(e.id, a.groupId);
        out.push(a);
      }
    } finally {
      this.batchTimes = null;
    }
    return out;
  }

  /**
   * Counts alerts towards the digest threshold without deciding on them yet. A reader that sees events one
   * at a time (`trailwatch replay`) counts each at once and assigns it once the window after it has been
   * read, so the start of a storm joins its digest as the bot's batch of a poll does.
   */
  observe(events: readonly GroupableEvent[]): void {
    for (const e of events) if (!this.assigned.has(e.id)) this.see(e);
  }

  private see(e: GroupableEvent): void {
    if (this.seenIds.has(e.id)) return;
    const t = e.time.getTime();
    this.seenIds.set(e.id, t);
    insertSorted(this.seenAll, t);
    const mine = this.seenByActor.get(e.actor) ?? [];
    insertSorted(mine, t);
    this.seenByActor.set(e.actor, mine);
  }

  private assignOne(e: GroupableEvent): Assignment {
    const t = e.time.getTime();
    if (this.digestsEnabled) {
      let digest = this.findDigest(e);
      let opened = false;
      if (!digest) {
        const w = this.settings.digestWindowMs;
        const byActor = busiestWindowAround(this.seenByActor.get(e.actor) ?? [], t, w) > this.settings.digestThreshold;
        if (byActor || this.othersStorm(t)) {
          digest = this.open("digest", e, byActor ? e.actor : null, null, []);
          opened = true;
        }
      }
      if (digest) {
        if (!opened) this.add(digest, e);
        return { eventId: e.id, groupId: digest.id, kind: "digest", opened };
      }
    }
    if (!e.root) return { eventId: e.id, groupId: null, kind: null, opened: false };
    const keys = [e.root, ...e.links].map((r) => resourceKey(e.accountId, r));
    const chain = this.findChain(e, keys);
    if (chain) {
      this.add(chain, e);
      for (const k of keys) if (!chain.keys.includes(k)) chain.keys.push(k);
      if (e.deletesRoot && !chain.rootFromDeletion) {
        chain.root = e.root;
        chain.rootFromDeletion = true;
      }
      return { eventId: e.id, groupId: chain.id, kind: "chain", opened: false };
    }
    const g = this.open("chain", e, e.actor, e.root, keys);
    g.rootFromDeletion = e.deletesRoot;
    return { eventId: e.id, groupId: g.id, kind: "chain", opened: true };
  }

  /**
   * Whether the actors who are not storming on their own together exceed the threshold around `t`. An actor
   * over the threshold alone gets (or will get) its own digest, so its events must not drag everyone else's
   * alerts into a digest over all actors.
   */
  private othersStorm(t: number): boolean {
    const w = this.settings.digestWindowMs;
    const limit = this.settings.digestThreshold;
    if (busiestWindowAround(this.seenAll, t, w) <= limit) return false;
    const times: number[] = [];
    for (const arr of this.seenByActor.values()) {
      if (busiestWindowAround(arr, t, w) > limit) continue;
      const from = lowerBound(arr, t - w);
      const to = lowerBound(arr, t + w, true);
      for (let i = from; i < to; i++) times.push(arr[i] as number);
    }
    times.sort((a, b) => a - b);
    return busiestWindowAround(times, t, w) > limit;
  }

  private findDigest(e: GroupableEvent): Group | undefined {
    const t = e.time.getTime();
    const w = this.settings.digestWindowMs;
    let total: Group | undefined;
    for (const g of this.groups.values()) {
      if (g.kind !== "digest" || !sameRoute(g, e)) continue;
      if (t > g.lastAt.getTime() + w) continue;
      if (t < g.firstAt.getTime() - w && !this.bridged(t, g.firstAt.getTime() - w, g.actor === null ? null : e.actor)) continue;
      // The actor's own digest first: a storm by one actor stays in one message even while others act.
      if (g.actor === e.actor) return g;
      if (g.actor === null) total ??= g;
    }
    return total;
  }

  /**
   * Whether events of the batch being assigned (of `actor`, or of everyone for null) lead from `t` up to
   * `reach` with no gap wider than the digest window. A batch is taken oldest first, so when it holds the
   * older part of a storm whose newer part already has a digest (LookupEvents answers newest first), its
   * oldest events reach that digest only through the batch's later ones: without this they would open a
   * second digest for the same storm.
   */
  private bridged(t: number, reach: number, actor: string | null): boolean {
    const times = actor === null ? this.batchTimes?.all : this.batchTimes?.byActor.get(actor);
    if (!times) return false;
    const w = this.settings.digestWindowMs;
    let at = t;
    for (let i = lowerBound(times, t, true); i < times.length && at < reach; i++) {
      const x = times[i] as number;
      if (x - at > w) return false;
      at = x;
    }
    return at >= reach;
  }

  private findChain(e: GroupableEvent, keys: readonly string[]): Group | undefined {
    const t = e.time.getTime();
    const w = this.settings.chainWindowMs;
    for (const g of this.groups.values()) {
      if (g.kind !== "chain" || g.actor !== e.actor || g.accountId !== e.accountId || !sameRoute(g, e)) continue;
      if (t < g.firstAt.getTime() - w || t > g.lastAt.getTime() + w) continue;
      if (keys.some((k) => g.keys.includes(k))) return g;
    }
    return undefined;
  }

  private open(kind: GroupKind, e: GroupableEvent, actor: string | null, root: ResourceRef | null, keys: string[]): Group {
    const g: Group = {
      id: `${kind}:${e.id}`,
      kind,
      actor,
      accountId: e.accountId,
      root,
      keys: [...keys],
      firstAt: e.time,
      lastAt: e.time,
      memberIds: [e.id],
      severity: e.severity,
      rootFromDeletion: false,
      route: e.route ?? null,
    };
    this.groups.set(g.id, g);
    return g;
  }

  private add(g: Group, e: GroupableEvent): void {
    g.memberIds.push(e.id);
    if (e.time < g.firstAt) g.firstAt = e.time;
    if (e.time > g.lastAt) g.lastAt = e.time;
    if (SEVERITY_RANK[e.severity] > SEVERITY_RANK[g.severity]) g.severity = e.severity;
  }

  /** Forgets groups and counts too old for any event to join or count towards them. */
  private prune(): void {
    const now = this.now().getTime();
    const { chainWindowMs, digestWindowMs, lateJoinMs } = this.settings;
    for (const [id, g] of this.groups) {
      const w = g.kind === "chain" ? chainWindowMs : digestWindowMs;
      if (g.lastAt.getTime() + w + lateJoinMs < now) this.groups.delete(id);
    }
    const cutoff = now - digestWindowMs - lateJoinMs;
    const drop = (arr: number[]): void => {
      const n = lowerBound(arr, cutoff);
      if (n > 0) arr.splice(0, n);
    };
    drop(this.seenAll);
    for (const [actor, arr] of this.seenByActor) {
      drop(arr);
      if (arr.length === 0) this.seenByActor.delete(actor);
    }
    // Assignments are kept as long as ids are: a re-delivered event must never be assigned twice. Ids are
    // forgotten only once nothing of their time can be joined or counted any more; forgetting recent ones
    // would count an alert twice when it is fed again (`observe`, then `assign`), and could fake a storm.
    if (this.seenIds.size > this.forgetIdsAbove) {
      const horizon = now - Math.max(chainWindowMs, digestWindowMs) - lateJoinMs;
      for (const [id, t] of this.seenIds) {
        if (t >= horizon) continue;
        this.seenIds.delete(id);
        this.assigned.delete(id);
      }
      // A storm bigger than the bound keeps its ids; look again once it has doubled, not on every batch.
      this.forgetIdsAbove = Math.max(MAX_IDS, this.seenIds.size * 2);
    }
  }
}

/** A group stored before routes were recorded has none, and counts as the alert channel's. */
function sameRoute(g: Group, e: GroupableEvent): boolean {
  return (g.route ?? null) === (e.route ?? null);
}

function snapshot(g: Group): GroupSnapshot {
  return { ...g, keys: [...g.keys], memberIds: [...g.memberIds] };
}
