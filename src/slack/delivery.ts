// The outbox: posts recorded alerts to the alert channel, exactly once, whatever Slack does.
//
// Exactly once = the alert is in the store before any attempt; an attempt is marked "in doubt" before
// chat.postMessage is sent and cleared once Slack's answer is known. An attempt still in doubt after a
// crash or a network timeout is settled by reading the channel history for a message whose metadata
// carries the event id: if Slack already has it, we record that message instead of posting again.
// Posts are paced (about one per second per channel, Slack's rule) so we do not lean on 429 retries.
import type { KnownBlock } from "@slack/types";
import {
  ErrorCode,
  type WebAPIPlatformError,
  type WebAPIRateLimitedError,
  type WebClient,
} from "@slack/web-api";
import { ALERT_METADATA_EVENT_TYPE, alertMetadata } from "./action-ids.js";
import { Grouper, type GroupingSettings } from "../grouping/grouper.js";
import { groupableFrom } from "../grouping/keys.js";
import { errorFields, type Logger } from "../log.js";
import type { AlertGroupRecord, AlertRecord, Store } from "../store/types.js";
import { buildEventReplies, buildGroupMessage, type GroupMessage } from "./blocks/group.js";
import { startSlackPost } from "../metrics.js";

/** Slack could not be asked whether a message exists (outage): settle later, never post blind. */
const UNKNOWN = Symbol("unknown");
/** The ts of a message this bot already posted, null when there is none, or UNKNOWN. */
type Found = string | null | typeof UNKNOWN;

export interface RenderedMessage {
  text: string;
  blocks: KnownBlock[];
}

export interface DeliveryDeps {
  store: Store;
  /** A client with retries off: this loop owns retrying, so every attempt is known to it. */
  client: WebClient;
  channelId: string;
  logger: Logger;
  now: () => Date;
  postIntervalMs: number;
  render: (alert: AlertRecord) => Promise<RenderedMessage>;
  /** Rendering used when Slack refuses the full message's blocks (invalid_blocks and the like). */
  renderMinimal: (alert: AlertRecord) => RenderedMessage;
  /**
   * The first thread reply of an alert posted on its own: the rest of the catalog text and every fact,
   * so the top level stays compact. Absent: no details reply.
   */
  renderDetails?: (alert: AlertRecord) => Promise<RenderedMessage | null>;
  /** Upper bound for the pause between retries of one alert. */
  maxBackoffMs?: number;
  /** Told the outcome of every post (the health model decides when Slack is unusable). */
  onSlackResult?: (r: { ok: true } | { ok: false; error: string }) => void;
  /**
   * This bot's own bot id (auth.test `bot_id`), when start-up already learnt it. Only messages carrying it
   * count as "already posted": anyone can post a message with our metadata to suppress an alert.
   */
  botId?: string | null;
  /**
   * Chains and digests (src/grouping). Absent: every alert is its own message, as before. The channel stays
   * `channelId` for now; a routed channel per group would be stored on the group like the ts is.
   */
  grouping?: {
    settings: GroupingSettings;
    /** Renders a group's top-level message from the store (activity of its representative alert). */
    render: (group: AlertGroupRecord, members: AlertRecord[]) => Promise<GroupMessage>;
    /** Least time between two updates of one digest's counts; chains update at once. Default 5 s. */
    digestUpdateIntervalMs?: number;
  };
}

/** How long the store must be quiet before new alerts are grouped (see assignGroups). */
const SETTLE_MS = 300;

/** Metadata event type of an alert's details reply (how an in-doubt one is found). */
const DETAILS_METADATA_EVENT_TYPE = "trailwatch_alert_details";

/** Metadata event type of thread replies that list a group's events (how an in-doubt reply is found). */
const GROUP_REPLY_METADATA_EVENT_TYPE = "trailwatch_group_reply";


/** Slack errors that mean this message body will never be accepted: fall back to the minimal rendering. */
const BODY_REJECTED = new Set(["invalid_blocks", "invalid_blocks_format", "msg_blocks_too_long", "msg_too_long", "invalid_metadata_format", "invalid_metadata_schema", "metadata_too_large"]);

export class Delivery {
  private running = false;
  private wake: (() => void) | null = null;
  private loop: Promise<void> | null = null;
  private lastPostAt = 0;
  private historyUnavailableWarned = false;
  private botId: string | null;
  private readonly grouper: Grouper | null;
  private grouperRestored = false;
  private readonly lastGroupUpdate = new Map<string, number>();
  /** Posts confirmed by Slack since start (for health and metrics). */
  posted = 0;
  lastError: string | null = null;

  constructor(private readonly deps: DeliveryDeps) {
    this.botId = deps.botId ?? null;
    this.grouper = deps.grouping ? new Grouper(deps.grouping.settings, deps.now) : null;
  }

  /** Our bot id, from start-up or auth.test now; throws when Slack cannot tell us (try again later). */
  private async ownBotId(): Promise<string> {
    if (this.botId) return this.botId;
    const res = await this.deps.client.auth.test();
    if (!res.bot_id) throw new Error("auth.test returned no bot_id");
    this.botId = res.bot_id;
    return this.botId;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.kick();
    await this.loop;
  }

  /** Wakes the loop now (a new alert was stored). */
  kick(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }

  private async idle(ms: number): Promise<void> {
    await new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        this.wake = null;
        resolve();
      }, ms);
      this.wake = () => {
        clearTimeout(t);
        resolve();
      };
    });
  }

  private async run(): Promise<void> {
    while (this.running) {
      let worked = false;
      try {
        worked = (await this.drainOnce()) > 0;
      } catch (err) {
        this.deps.logger.error(errorFields(err), "delivery loop error");
      }
      // stop() clears `running` while drainOnce() awaits; the compiler keeps the loop condition's narrowing.
      // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition
      if (!this.running) break;
      if (!worked) await this.idle(1000);
    }
  }

  /**
   * Posts waiting alerts in event order. The queue is strictly ordered: when the oldest alert is waiting
   * out a backoff, or an attempt fails, nothing behind it is posted, so after an outage the channel
   * still reads in the order things happened. A group (chain or digest) takes the place of its first
   * member in that order; its later members, replies and updates follow once its message exists.
   * Returns the number of Slack writes that succeeded.
   */
  async drainOnce(): Promise<number> {
    await this.assignGroups();
    const queue = this.grouper ? await this.deps.store.nextPostableAlerts(50) : await this.deps.store.nextPendingAlerts(20);
    let posted = 0;
    let blocked = false;
    const groupsSeen = new Set<string>();
    for (const alert of queue) {
      if (!this.running && this.loop !== null) break;
      /** A chain of one is an ordinary alert until a second step arrives; its message is then adopted. */
      let chainOfOne: string | null = null;
      if (alert.groupId && this.grouper) {
        if (groupsSeen.has(alert.groupId)) continue;
        groupsSeen.add(alert.groupId);
        const group = await this.deps.store.getGroup(alert.groupId);
        if (!group || group.messageTs) continue;
        if (group.snapshot.memberIds.length > 1 || group.snapshot.kind === "digest") {
          if (group.nextAttemptAt.getTime() > this.deps.now().getTime()) break;
          if (!(await this.postGroup(group))) {
            blocked = true;
            break;
          }
          posted++;
          continue;
        }
        chainOfOne = group.id;
      }
      if (alert.nextAttemptAt.getTime() > this.deps.now().getTime()) break;
      await this.pace();
      if (!(await this.deliver(alert))) {
        blocked = true;
        break;
      }
      if (chainOfOne !== null) {
        const after = await this.deps.store.getAlert(alert.eventId);
        if (after?.messageTs) {
          await this.deps.store.markGroupPosted(chainOfOne, after.channelId ?? this.deps.channelId, after.messageTs);
          await this.deps.store.markGroupRendered(chainOfOne, this.deps.now());
        }
      }
      posted++;
    }
    if (this.grouper && !blocked) posted += await this.groupWork();
    // Details come after every waiting alert: a storm's top level must not queue behind its footnotes.
    if (!blocked && (await this.deps.store.pendingCount()) === 0) posted += await this.detailsWork();
    return posted;
  }

  /** Posts owed details replies, exactly once each (settled from the thread when in doubt). */
  private async detailsWork(): Promise<number> {
    const render = this.deps.renderDetails;
    if (!render) return 0;
    const { store } = this.deps;
    let done = 0;
    for (const alert of await store.alertsNeedingDetails(10, this.deps.now())) {
      if (!this.running && this.loop !== null) break;
      const log = this.deps.logger.child({ eventId: alert.eventId });
      const channel = alert.channelId ?? this.deps.channelId;
      const thread = alert.messageTs as string;
      if (alert.detailsInDoubtSince) {
        const found = await this.findInThread(channel, thread, alert.detailsInDoubtSince, DETAILS_METADATA_EVENT_TYPE, (p) => p.details_of === alert.eventId, log);
        if (found === UNKNOWN) return done;
        if (found) {
          await store.markDetailsPosted(alert.eventId, found);
          continue;
        }
      }
      const msg = await render(alert).catch((err: unknown) => {
        log.error(errorFields(err), "rendering the details reply failed");
        return null;
      });
      if (!msg) {
        await store.markDetailsPosted(alert.eventId, "");
        continue;
      }
      await store.markDetailsAttempt(alert.eventId, this.deps.now());
      try {
        const ts = await this.write(async () => {
          const res = await this.deps.client.chat.postMessage({
            channel,
            thread_ts: thread,
            text: msg.text,
            blocks: msg.blocks,
            unfurl_links: false,
            unfurl_media: false,
            metadata: { event_type: DETAILS_METADATA_EVENT_TYPE, event_payload: { details_of: alert.eventId } },
          });
          if (!res.ts) throw new Error("chat.postMessage returned no ts");
          return res.ts;
        });
        await store.markDetailsPosted(alert.eventId, ts);
        done++;
      } catch (err) {
        const { next, inDoubt, reason } = this.classify(err, 0);
        this.lastError = reason;
        await store.markDetailsFailed(alert.eventId, next, inDoubt);
        log.warn({ reason, inDoubt }, "details reply failed; will retry");
        return done;
      }
    }
    return done;
  }

  /** Runs the grouper over alerts it has not decided on, and stores its decisions (restart-safe). */
  private async assignGroups(): Promise<void> {
    const g = this.grouper;
    const settings = this.deps.grouping?.settings;
    if (!g || !settings) return;
    const { store } = this.deps;
    if (!this.grouperRestored) {
      const horizon = settings.lateJoinMs + Math.max(settings.chainWindowMs, settings.digestWindowMs);
      const state = await store.groupingState(new Date(this.deps.now().getTime() - horizon));
      g.restore(
        state.groups,
        state.alerts.map((a) => ({ event: groupableFrom(a.alert), groupId: a.groupId })),
      );
      this.grouperRestored = true;
    }
    let pending = await store.ungroupedPendingAlerts(5000);
    // The poller stores a page of events one by one and wakes us at the first: let the page land, so the
    // start of a storm is judged with its first page rather than event by event.
    for (let i = 0; i < 5 && pending.length > 0 && pending.length < 5000; i++) {
      const newest = Math.max(...pending.map((a) => a.detectedAt.getTime()));
      if (this.deps.now().getTime() - newest >= SETTLE_MS) break;
      await new Promise((r) => setTimeout(r, SETTLE_MS));
      pending = await store.ungroupedPendingAlerts(5000);
    }
    if (pending.length === 0) return;
    const decisions = g.assign(pending.map((a) => groupableFrom(a)));
    const touched = new Set(decisions.map((d) => d.groupId).filter((id): id is string => id !== null));
    const snapshots = [...touched].map((id) => g.group(id)).filter((x) => x !== undefined);
    await store.recordGrouping(decisions.map((d) => ({ eventId: d.eventId, groupId: d.groupId })), snapshots, this.deps.now());
    for (const d of decisions) {
      if (d.opened && d.kind === "digest") this.deps.logger.info({ groupId: d.groupId }, "storm digest opened");
    }
  }

  /** Posts a group's top-level message (or adopts one already in Slack). True when it now has one. */
  private async postGroup(group: AlertGroupRecord): Promise<boolean> {
    const { store } = this.deps;
    const log = this.deps.logger.child({ groupId: group.id });
    const members = await store.groupMembers(group.id);
    // A group goes where its first member was routed (RULES_FILE `route`), like that alert would have.
    const channelId = members[0] ? this.channelOf(members[0]) : this.deps.channelId;
    // A member already posted alone (a chain of one before its second step, or a crash before adoption)
    // keeps its message: the chain grows in place from there.
    const alone = members.find((m) => m.delivery === "posted" && m.messageTs);
    if (alone?.messageTs) {
      await store.markGroupPosted(group.id, alone.channelId ?? channelId, alone.messageTs);
      return true;
    }
    for (const m of members.filter((x) => x.inDoubtSince)) {
      const found = await this.findPosted(channelId, m.inDoubtSince as Date, (p) => p.event_id === m.eventId, log);
      if (found === UNKNOWN) return false;
      if (found) {
        await store.markPosted(m.eventId, channelId, found);
        await store.markGroupPosted(group.id, channelId, found);
        return true;
      }
    }
    const earlier = await this.settleEarlierPost("group message", channelId, group.inDoubtSince, (p) => p.group_id === group.id, log, {
      found: (ts) => store.markGroupPosted(group.id, channelId, ts),
      unknown: () => store.markGroupPostFailed(group.id, this.groupBackoff(group), "could not check Slack for an earlier post", true),
    });
    if (earlier !== null) return earlier;
    const msg = await this.renderGroup(group, members);
    await store.markGroupPostAttempt(group.id, this.deps.now());
    try {
      const ts = await this.write(async () => {
        const res = await this.deps.client.chat.postMessage({
          channel: channelId,
          text: msg.text,
          blocks: msg.blocks,
          unfurl_links: false,
          unfurl_media: false,
          metadata: msg.metadata,
        });
        if (!res.ts) throw new Error("chat.postMessage returned no ts");
        return res.ts;
      });
      await store.markGroupPosted(group.id, channelId, ts);
      await store.markGroupRendered(group.id, this.deps.now());
      await store.markGroupMembersShown(group.id, msg.shownIds, this.deps.now());
      this.lastGroupUpdate.set(group.id, Date.now());
      this.posted++;
      this.lastError = null;
      log.info({ ts, kind: group.snapshot.kind, members: members.length }, "group message posted");
      return true;
    } catch (err) {
      const { next, inDoubt, reason } = this.classify(err, group.postAttempts);
      this.lastError = reason;
      await store.markGroupPostFailed(group.id, next, reason, inDoubt);
      log.warn({ reason, inDoubt, nextAttemptAt: next.toISOString() }, "group message post failed; will retry");
      return false;
    }
  }

  private async renderGroup(group: AlertGroupRecord, members: AlertRecord[]): Promise<GroupMessage> {
    const render = this.deps.grouping?.render;
    if (render) return render(group, members);
    return buildGroupMessage(group.snapshot, members, {});
  }

  /**
   * For every group with a message: list members not yet visible in thread replies (exactly once, like
   * posts) and update the top-level message in place when the group changed. Returns writes done.
   */
  private async groupWork(): Promise<number> {
    const { store, channelId } = this.deps;
    let done = 0;
    for (const group of await store.groupsWithWork(20)) {
      if (!this.running && this.loop !== null) break;
      if (!group.messageTs) continue;
      const log = this.deps.logger.child({ groupId: group.id });
      const members = await store.groupMembers(group.id);
      const msg = await this.renderGroup(group, members);
      const shown = new Set(msg.shownIds);

      // Replies left in doubt by a crash or timeout: find them in the thread, or send the same one again.
      const open = await store.openGroupReplies(group.id);
      const inOpen = new Set(open.flatMap((r) => r.eventIds));
      for (const r of open) {
        const found = await this.findReply(group, r.seq, r.startedAt, log);
        if (found === UNKNOWN) return done;
        if (found) await store.finishGroupReply(group.id, r.seq, found, this.deps.now());
        else await store.dropGroupReply(group.id, r.seq);
      }
      if (open.length > 0) continue; // re-read membership next round

      // The top level first when it must change to show members (chains), else the thread first.
      const mustShow = members.some((m) => m.delivery === "pending" && shown.has(m.eventId));
      const changed = group.changedAt.getTime() > (group.renderedAt?.getTime() ?? 0);
      const interval = group.snapshot.kind === "digest" ? (this.deps.grouping?.digestUpdateIntervalMs ?? 5000) : 0;
      const due = Date.now() - (this.lastGroupUpdate.get(group.id) ?? 0) >= interval;
      const needReply = members.filter((m) => m.delivery === "pending" && !shown.has(m.eventId) && !inOpen.has(m.eventId));
      if (mustShow || (changed && due && needReply.length === 0)) {
        if (!(await this.updateGroup(group, msg, log))) return done;
        done++;
      }
      for (const chunk of buildEventReplies(needReply)) {
        if (!this.running && this.loop !== null) return done;
        const seq = await store.startGroupReply(group.id, chunk.ids, this.deps.now());
        try {
          const ts = await this.write(async () => {
            const res = await this.deps.client.chat.postMessage({
              channel: group.channelId ?? channelId,
              thread_ts: group.messageTs as string, // replies are sent only once the group message is posted
              text: chunk.text,
              blocks: chunk.blocks,
              unfurl_links: false,
              unfurl_media: false,
              metadata: { event_type: GROUP_REPLY_METADATA_EVENT_TYPE, event_payload: { group_id: group.id, seq } },
            });
            if (!res.ts) throw new Error("chat.postMessage returned no ts");
            return res.ts;
          });
          await store.finishGroupReply(group.id, seq, ts, this.deps.now());
          this.posted++;
          done++;
        } catch (err) {
          const { inDoubt, reason } = this.classify(err, 0);
          this.lastError = reason;
          // Known not posted: free its events for the next try. In doubt: the next round looks for it.
          if (!inDoubt) await store.dropGroupReply(group.id, seq);
          log.warn({ reason, inDoubt, seq }, "group thread reply failed; will retry");
          return done;
        }
      }
      // Counts catch up once the thread is done, at most every digest interval.
      if (needReply.length > 0 && changed) {
        if (!(await this.updateGroup(group, await this.renderGroup(group, await store.groupMembers(group.id)), log))) return done;
        done++;
      }
    }
    return done;
  }

  private async updateGroup(group: AlertGroupRecord, msg: GroupMessage, log: Logger): Promise<boolean> {
    const at = this.deps.now();
    try {
      await this.write(() =>
        this.deps.client.chat.update({
          channel: group.channelId ?? this.deps.channelId,
          ts: group.messageTs as string,
          text: msg.text,
          blocks: msg.blocks,
          metadata: msg.metadata,
        }),
      );
      await this.deps.store.markGroupRendered(group.id, at);
      await this.deps.store.markGroupMembersShown(group.id, msg.shownIds, at);
      this.lastGroupUpdate.set(group.id, Date.now());
      return true;
    } catch (err) {
      const { reason } = this.classify(err, 0);
      this.lastError = reason;
      log.warn({ reason }, "group message update failed; will retry");
      return false;
    }
  }

  /** One Slack write, paced: the next starts no sooner than the interval after this one's answer. */
  private async write<T>(fn: () => Promise<T>): Promise<T> {
    await this.pace();
    try {
      return await fn();
    } finally {
      this.lastPostAt = Date.now();
    }
  }

  private groupBackoff(group: AlertGroupRecord): Date {
    const max = this.deps.maxBackoffMs ?? 60_000;
    return new Date(this.deps.now().getTime() + Math.min(max, 1000 * 2 ** Math.min(group.postAttempts, 10)));
  }

  /** When to try again, and whether the write may have happened (no answer) or surely did not. */
  private classify(err: unknown, attempts: number): { next: Date; inDoubt: boolean; reason: string } {
    const e = err as { code?: string };
    const max = this.deps.maxBackoffMs ?? 60_000;
    let next = new Date(this.deps.now().getTime() + Math.min(max, 1000 * 2 ** Math.min(attempts, 10)));
    if (e.code === ErrorCode.RateLimitedError) {
      const retryAfter = (err as WebAPIRateLimitedError).retryAfter;
      next = new Date(this.deps.now().getTime() + Math.max(1, retryAfter) * 1000);
      return { next, inDoubt: false, reason: `rate limited (retry after ${retryAfter}s)` };
    }
    if (e.code === ErrorCode.PlatformError) return { next, inDoubt: false, reason: `Slack error ${(err as WebAPIPlatformError).data.error}` };
    return { next, inDoubt: true, reason: errorFields(err).errorMessage };
  }

  /** Finds a reply this bot already posted in the group's thread (metadata group id and sequence). */
  private async findReply(group: AlertGroupRecord, seq: number, since: Date, log: Logger): Promise<Found> {
    return this.findInThread(group.channelId ?? this.deps.channelId, group.messageTs as string, since, GROUP_REPLY_METADATA_EVENT_TYPE, (p) => p.group_id === group.id && p.seq === seq, log);
  }

  /** A reply in a thread that this bot posted with the given metadata; null when none, UNKNOWN when Slack could not be asked. */
  private async findInThread(
    channel: string,
    threadTs: string,
    since: Date,
    eventType: string,
    matches: (payload: Record<string, unknown>) => boolean,
    log: Logger,
  ): Promise<Found> {
    let ownBotId: string;
    try {
      ownBotId = await this.ownBotId();
    } catch (err) {
      log.warn(errorFields(err), "could not learn the bot's own id (auth.test); will retry");
      return UNKNOWN;
    }
    let cursor: string | undefined;
    try {
      for (let page = 0; page < 20; page++) {
        const res = await this.deps.client.conversations.replies({
          channel,
          ts: threadTs,
          oldest: String(Math.floor(since.getTime() / 1000) - 60),
          limit: 200,
          include_all_metadata: true,
          ...(cursor === undefined ? {} : { cursor }),
        });
        for (const m of res.messages ?? []) {
          const md = (m as { metadata?: { event_type?: string; event_payload?: Record<string, unknown> } }).metadata;
          if (md?.event_type === eventType && md.event_payload && matches(md.event_payload) && m.ts && m.bot_id === ownBotId) return m.ts;
        }
        cursor = res.response_metadata?.next_cursor || undefined;
        if (!cursor) break;
      }
      return null;
    } catch (err) {
      // Without history access we cannot prove either way; a repeated reply is better than a missing one.
      if ((err as { code?: string }).code === ErrorCode.PlatformError) return null;
      log.warn(errorFields(err), "could not read the thread; will retry");
      return UNKNOWN;
    }
  }

  private async pace(): Promise<void> {
    const wait = this.lastPostAt + this.deps.postIntervalMs - Date.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    this.lastPostAt = Date.now();
  }

  private backoff(alert: AlertRecord): Date {
    const max = this.deps.maxBackoffMs ?? 60_000;
    const ms = Math.min(max, 1000 * 2 ** Math.min(alert.postAttempts, 10));
    return new Date(this.deps.now().getTime() + ms);
  }

  /** The channel a rule routed the alert to, else the alert channel. */
  private channelOf(alert: AlertRecord): string {
    return alert.routeChannel ?? this.deps.channelId;
  }

  /** Attempts one alert; true when it is now recorded as posted. */
  async deliver(alert: AlertRecord): Promise<boolean> {
    const { store, logger } = this.deps;
    const channelId = this.channelOf(alert);
    const log = logger.child({ eventId: alert.eventId, eventName: alert.eventName });

    const earlier = await this.settleEarlierPost("alert", channelId, alert.inDoubtSince, (p) => p.event_id === alert.eventId, log, {
      found: (ts) => store.markPosted(alert.eventId, channelId, ts),
      unknown: () => store.markPostFailed(alert.eventId, this.backoff(alert), "could not check Slack for an earlier post", true),
    });
    if (earlier !== null) return earlier;

    let message: RenderedMessage;
    try {
      message = await this.deps.render(alert);
    } catch (err) {
      log.error(errorFields(err), "rendering failed; using minimal message");
      message = this.deps.renderMinimal(alert);
    }

    await store.markPostAttempt(alert.eventId, this.deps.now());
    try {
      const res = await this.post(message, alert);
      await store.markPosted(alert.eventId, channelId, res);
      this.posted++;
      this.lastError = null;
      this.deps.onSlackResult?.({ ok: true });
      log.info({ ts: res, attempts: alert.postAttempts + 1 }, "alert posted");
      return true;
    } catch (err) {
      const e = err as { code?: string };
      if (e.code === ErrorCode.PlatformError && BODY_REJECTED.has((err as WebAPIPlatformError).data.error)) {
        // Slack will never take this body: post the minimal rendering instead (still with metadata).
        log.warn({ slackError: (err as WebAPIPlatformError).data.error }, "Slack rejected the alert blocks; posting minimal message");
        try {
          const ts = await this.post(this.deps.renderMinimal(alert), alert);
          await store.markPosted(alert.eventId, channelId, ts);
          this.posted++;
          return true;
        } catch (err2) {
          await this.failed(alert, err2, log);
          return false;
        }
      }
      await this.failed(alert, err, log);
      return false;
    }
  }

  private async post(message: RenderedMessage, alert: AlertRecord): Promise<string> {
    // Latency and errors of every alert post, for /metrics.
    const done = startSlackPost();
    return this.postOnce(message, alert).then(
      (ts) => (done(), ts),
      (err: unknown) => {
        done(err);
        throw err;
      },
    );
  }

  private async postOnce(message: RenderedMessage, alert: AlertRecord): Promise<string> {
    try {
      const res = await this.deps.client.chat.postMessage({
        channel: this.channelOf(alert),
        text: message.text,
        blocks: message.blocks,
        unfurl_links: false,
        unfurl_media: false,
        metadata: alertMetadata(alert.eventId),
      });
      if (!res.ts) throw new Error("chat.postMessage returned no ts");
      return res.ts;
    } finally {
      // Pace from the answer, not the request: a request slowed on the way must not bunch up with the next.
      this.lastPostAt = Date.now();
    }
  }

  private async failed(alert: AlertRecord, err: unknown, log: Logger): Promise<void> {
    const e = err as { code?: string };
    let next = this.backoff(alert);
    // Known not posted: Slack answered with an error. In doubt: no answer (network error, timeout, 5xx).
    let inDoubt = true;
    let reason: string;
    if (e.code === ErrorCode.RateLimitedError) {
      const retryAfter = (err as WebAPIRateLimitedError).retryAfter;
      next = new Date(this.deps.now().getTime() + Math.max(1, retryAfter) * 1000);
      inDoubt = false;
      reason = `rate limited (retry after ${retryAfter}s)`;
    } else if (e.code === ErrorCode.PlatformError) {
      inDoubt = false;
      reason = `Slack error ${(err as WebAPIPlatformError).data.error}`;
    } else {
      reason = errorFields(err).errorMessage;
    }
    this.lastError = reason;
    this.deps.onSlackResult?.({
      ok: false,
      error: e.code === ErrorCode.PlatformError ? (err as WebAPIPlatformError).data.error : e.code === ErrorCode.RateLimitedError ? "ratelimited" : errorFields(err).errorName,
    });
    await this.deps.store.markPostFailed(alert.eventId, next, reason, inDoubt);
    log.warn({ reason, inDoubt, nextAttemptAt: next.toISOString(), attempts: alert.postAttempts + 1 }, "alert post failed; will retry");
  }

  /**
   * After an attempt that may have reached Slack (in doubt since `since`), looks for that message: true when
   * found (recorded as posted), false when Slack cannot be asked (recorded as a failed attempt: try later),
   * null when there was no such attempt or no such message (post now).
   */
  private async settleEarlierPost(
    what: string,
    channel: string,
    since: Date | undefined,
    matches: (payload: Record<string, unknown>) => boolean,
    log: Logger,
    record: { found: (ts: string) => Promise<unknown>; unknown: () => Promise<unknown> },
  ): Promise<boolean | null> {
    if (!since) return null;
    const found = await this.findPosted(channel, since, matches, log);
    if (found === UNKNOWN) {
      await record.unknown();
      return false;
    }
    if (!found) return null;
    await record.found(found);
    log.info({ ts: found }, `${what} was already posted before a restart or timeout; recorded, not reposted`);
    return true;
  }

  /**
   * Looks for a message this bot already posted for the alert (metadata event_id). Returns its ts, null
   * when there is none, or UNKNOWN when Slack could not be asked (outage: try again later).
   */
  private async findPosted(channel: string, since: Date, matches: (payload: Record<string, unknown>) => boolean, log: Logger): Promise<Found> {
    const oldest = String(Math.floor(since.getTime() / 1000) - 60);
    let cursor: string | undefined;
    let ownBotId: string;
    try {
      ownBotId = await this.ownBotId();
    } catch (err) {
      // Without our own bot id a match proves nothing; settle later rather than trust a possible forgery.
      log.warn(errorFields(err), "could not learn the bot's own id (auth.test); will retry");
      return UNKNOWN;
    }
    try {
      for (let page = 0; page < 10; page++) {
        const res = await this.deps.client.conversations.history({
          channel,
          oldest,
          limit: 200,
          include_all_metadata: true,
          ...(cursor === undefined ? {} : { cursor }),
        });
        for (const m of res.messages ?? []) {
          const md = (m as { metadata?: { event_type?: string; event_payload?: Record<string, unknown> } }).metadata;
          if (md?.event_type === ALERT_METADATA_EVENT_TYPE && md.event_payload && matches(md.event_payload) && m.ts) {
            // Metadata is not proof of authorship: any app or user with a token can attach it.
            if (m.bot_id === ownBotId) return m.ts;
            log.warn({ ts: m.ts, botId: m.bot_id ?? null }, "ignoring a message with this alert's metadata that another author posted");
          }
        }
        cursor = res.response_metadata?.next_cursor || undefined;
        if (!cursor) break;
      }
      return null;
    } catch (err) {
      const e = err as { code?: string };
      if (e.code === ErrorCode.PlatformError) {
        // Missing scope (channels:history / groups:history) or similar: we cannot prove either way. A missed
        // alert is worse than a repeated one, so post; say so once.
        if (!this.historyUnavailableWarned) {
          this.historyUnavailableWarned = true;
          log.warn({ slackError: (err as WebAPIPlatformError).data.error }, "cannot read channel history to rule out a duplicate; posting");
        }
        return null;
      }
      log.warn(errorFields(err), "could not read channel history; will retry");
      return UNKNOWN;
    }
  }
}
