// Chains and digests in replay: the bot's own Grouper (src/grouping), driven by the records' event times.
//
// The bot decides on a poll's page of events at once, so the first events of a storm already join its digest.
// Replay reads one record at a time; to judge each alert with the same view it counts every alert as soon as
// it is read, and decides on it only once the input has moved DIGEST_WINDOW past it in event time. It prints
// the alert once a further CHAIN_WINDOW has passed, so the line can say whether a chain grew around it.
// Held alerts are only those of the last few minutes of event time, and groups are forgotten once nothing
// can join them any more: memory stays bounded on any input whose time moves forward, as CloudTrail's does.
// Input whose time jumps back further than records are ever late (the next account's folder of an S3
// export) starts the grouping afresh from there.
import { SEVERITY_RANK, type Severity } from "../domain.js";
import { DEFAULT_GROUPING, Grouper as EventGrouper, type GroupKind, type GroupingSettings } from "../grouping/grouper.js";
import { groupableFrom, type GroupableEvent, type ResourceRef } from "../grouping/keys.js";
import type { Grouper, ReplayAlert } from "./index.js";

/** The chain or digest an alert belongs to, as printed: `label` is e.g. "chain#3", numbered per kind. */
export interface ReplayGroupRef {
  id: string;
  kind: GroupKind;
  label: string;
}

/** One chain or digest, for the summary. */
export interface ReplayGroup {
  label: string;
  id: string;
  kind: GroupKind;
  /** The actor every member shares; null for a digest over all actors. */
  actor: string | null;
  /** Distinct actors seen (counted up to MAX_ACTORS). */
  actors: number;
  accountId: string;
  /** Chains: the resource taken apart (named by its own deletion when the chain holds it). */
  root: ResourceRef | null;
  events: number;
  byEvent: Record<string, number>;
  firstAt: Date;
  lastAt: Date;
  severity: Severity;
}

/** Groups listed in the summary at most (a bound on memory; the rest are counted). */
const MAX_LISTED = 10_000;
const MAX_ACTORS = 1_000;

interface Held {
  alert: ReplayAlert;
  /** Event time in ms; null: no usable time, so the alert stands alone. */
  t: number | null;
  g: GroupableEvent | null;
  groupId: string | null;
}

interface Open extends ReplayGroup {
  actorSet: Set<string> | null;
  rootFromDeletion: boolean;
}

export class ReplayGrouper implements Grouper {
  private readonly settings: GroupingSettings;
  private grouper: EventGrouper;
  private watermark = Number.NEGATIVE_INFINITY;
  /** Alerts not yet printed, in event-time order; those before `assignedUpTo` have been decided on. */
  private held: Held[] = [];
  private head = 0;
  private assignedUpTo = 0;
  private readonly open = new Map<string, Open>();
  private readonly listed: ReplayGroup[] = [];
  private readonly counters: Record<GroupKind, number> = { chain: 0, digest: 0 };
  /** Groups that did not fit in the summary list. */
  unlisted = 0;
  private lastSweep = Number.NEGATIVE_INFINITY;

  /** `settings`: CHAIN_WINDOW, DIGEST_THRESHOLD and DIGEST_WINDOW as the bot reads them. */
  constructor(settings: Omit<GroupingSettings, "lateJoinMs"> & { lateJoinMs?: number }) {
    // lateJoinMs: how far records may be out of time order and still meet their group. CloudTrail writes a
    // file about every 5 minutes, and folders list in time order, so the bot's default look-back is ample.
    // Never shorter than an alert is held, so a group is not forgotten while a member still waits to print.
    const lateJoinMs = Math.max(settings.lateJoinMs ?? DEFAULT_GROUPING.lateJoinMs, settings.chainWindowMs + settings.digestWindowMs);
    this.settings = { ...settings, lateJoinMs };
    this.grouper = new EventGrouper(this.settings, () => new Date(this.watermark));
  }

  push(alert: ReplayAlert): ReplayAlert[] {
    const t = alert.event.eventTime?.getTime() ?? null;
    // Suppressed alerts are not posted, so (as in the bot) they neither count towards nor join a group.
    const g = t !== null && !alert.ruled.suppressed ? groupableFrom({ eventId: alert.event.eventId, severity: alert.ruled.severity, event: alert.event, eventTime: alert.event.eventTime, routeChannel: alert.ruled.route }) : null;
    if (t === null) {
      // Nothing to order it by: print it now, on its own.
      alert.group = null;
      return [alert];
    }
    // Far older than anything read so far: the next folder of a multi-account S3 export (or a file from
    // another time). Nothing held can meet it, and against this clock it would be judged alone; so close
    // what is open and start again from its time, as if it were a new input.
    const restart = t < this.watermark - this.settings.lateJoinMs ? this.restart(t) : [];
    if (g) this.grouper.observe([g]);
    if (t > this.watermark) this.watermark = t;
    const item: Held = { alert, t, g, groupId: null };
    const pos = this.insertAt(t);
    if (t <= this.watermark - this.settings.digestWindowMs) {
      // Late (out of time order): decided on at once, and placed among the decided ones.
      this.decide([item]);
      this.held.splice(pos, 0, item);
      if (pos <= this.assignedUpTo) this.assignedUpTo++;
    } else {
      this.held.splice(pos, 0, item);
    }
    const out = this.release(false);
    return restart.length > 0 ? [...restart, ...out] : out;
  }

  private restart(t: number): ReplayAlert[] {
    const out = this.flush();
    this.held = [];
    this.head = 0;
    this.assignedUpTo = 0;
    this.watermark = t;
    this.lastSweep = Number.NEGATIVE_INFINITY;
    this.grouper = new EventGrouper(this.settings, () => new Date(this.watermark));
    return out;
  }

  flush(): ReplayAlert[] {
    const out = this.release(true);
    for (const o of this.open.values()) this.close(o);
    this.open.clear();
    return out;
  }

  /** Chains and digests with a label, in the order their first line was printed. */
  groups(): readonly ReplayGroup[] {
    return this.listed;
  }

  /** Alerts held back and groups still open: what this grouper keeps, which stays bounded as time moves. */
  stateSize(): { held: number; open: number } {
    return { held: this.held.length - this.head, open: this.open.size };
  }

  counts(): Record<GroupKind, number> {
    return { ...this.counters };
  }

  /** Position after every held alert at or before `t` (stable: equal times keep reading order). */
  private insertAt(t: number): number {
    let lo = this.head;
    let hi = this.held.length;
    // Input is nearly always in order: the common case is the end.
    const last = this.held[hi - 1];
    if (hi === lo || (last?.t ?? 0) <= t) return hi;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.held[mid]?.t ?? 0) <= t) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  private release(all: boolean): ReplayAlert[] {
    const { digestWindowMs, chainWindowMs } = this.settings;
    const decideBy = this.watermark - digestWindowMs;
    let end = Math.max(this.assignedUpTo, this.head);
    while (end < this.held.length && (all || (this.held[end]?.t ?? 0) <= decideBy)) end++;
    if (end > this.assignedUpTo) {
      this.decide(this.held.slice(Math.max(this.assignedUpTo, this.head), end));
      this.assignedUpTo = end;
    }
    const printBy = decideBy - chainWindowMs;
    const out: ReplayAlert[] = [];
    while (this.head < this.assignedUpTo && (all || (this.held[this.head]?.t ?? 0) <= printBy)) {
      const h = this.held[this.head] as Held;
      this.held[this.head] = undefined as unknown as Held;
      this.head++;
      h.alert.group = this.refOf(h.groupId);
      out.push(h.alert);
    }
    if (this.head > 1024 && this.head * 2 > this.held.length) {
      this.held = this.held.slice(this.head);
      this.assignedUpTo -= this.head;
      this.head = 0;
    }
    if (this.watermark - this.lastSweep >= 60_000) this.sweep();
    return out;
  }

  private decide(items: Held[]): void {
    const events = items.flatMap((h) => (h.g ? [h.g] : []));
    if (events.length === 0) return;
    this.grouper.assign(events);
    for (const h of items) {
      if (!h.g) continue;
      // groupOf, not the returned assignments: a record read twice (overlapping files) joins its first copy's group.
      h.groupId = this.grouper.groupOf(h.g.id) ?? null;
      if (h.groupId) this.count(h.groupId, h.g);
    }
  }

  private count(id: string, e: GroupableEvent): void {
    let o = this.open.get(id);
    if (!o) {
      const snap = this.grouper.group(id);
      const kind: GroupKind = id.startsWith("digest:") ? "digest" : "chain";
      o = {
        label: "",
        id,
        kind,
        actor: snap ? snap.actor : e.actor,
        actors: 0,
        actorSet: new Set(),
        accountId: e.accountId,
        root: kind === "chain" ? e.root : null,
        rootFromDeletion: kind === "chain" && e.deletesRoot,
        events: 0,
        byEvent: {},
        firstAt: e.time,
        lastAt: e.time,
        severity: e.severity,
      };
      this.open.set(id, o);
    }
    o.events++;
    o.byEvent[e.eventName] = (o.byEvent[e.eventName] ?? 0) + 1;
    if (o.actorSet && !o.actorSet.has(e.actor)) {
      o.actorSet.add(e.actor);
      o.actors = o.actorSet.size;
      if (o.actorSet.size >= MAX_ACTORS) o.actorSet = null;
    }
    if (e.time < o.firstAt) o.firstAt = e.time;
    if (e.time > o.lastAt) o.lastAt = e.time;
    if (SEVERITY_RANK[e.severity] > SEVERITY_RANK[o.severity]) o.severity = e.severity;
    // As the grouper names a chain: after the resource whose own deletion is in it.
    if (o.kind === "chain" && e.deletesRoot && !o.rootFromDeletion && e.root) {
      o.root = e.root;
      o.rootFromDeletion = true;
    }
  }

  /** A line's group: digests always; a chain only once it holds more than one alert. */
  private refOf(id: string | null): ReplayGroupRef | null {
    if (!id) return null;
    const o = this.open.get(id);
    if (!o || (o.kind === "chain" && o.events < 2)) return null;
    if (!o.label) {
      o.label = `${o.kind}#${++this.counters[o.kind]}`;
      if (this.listed.length < MAX_LISTED) this.listed.push(o);
      else this.unlisted++;
    }
    return { id, kind: o.kind, label: o.label };
  }

  /** Forgets groups nothing can join any more (the grouper forgets them at the same event time). */
  private sweep(): void {
    this.lastSweep = this.watermark;
    const { chainWindowMs, digestWindowMs, lateJoinMs } = this.settings;
    for (const [id, o] of this.open) {
      const w = o.kind === "chain" ? chainWindowMs : digestWindowMs;
      if (o.lastAt.getTime() + w + lateJoinMs < this.watermark) {
        this.close(o);
        this.open.delete(id);
      }
    }
  }

  private close(o: Open): void {
    // What stays listed is fixed-size: the actor set goes.
    o.actorSet = null;
  }
}
