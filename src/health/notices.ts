// Operational notices: trailwatch says in Slack when it cannot see or cannot post, once per problem episode,
// and again when the problem clears. Episodes and notices are kept in the store (an outbox of their own), so a
// restart neither loses a notice nor posts one twice. When the alert channel itself is unusable, notices go
// to the approvers by direct message instead.
//
// Every value that did not come from this code (AWS error messages, Slack error codes, scope names) is
// escaped and bounded before it reaches a message.
import type { KnownBlock } from "@slack/types";
import type { WebClient } from "@slack/web-api";
import { errorFields, type Logger } from "../log.js";
import type { CoverageNotice } from "../poller.js";
import { code, prose, slackDate } from "../slack/mrkdwn.js";
import type { Store } from "../store/types.js";
import { CHANNEL_SLACK_ERRORS, PROBLEM_CODES, type HealthModel, type Problem, type ProblemCode, type SlackResult } from "./model.js";

const SECTION_MAX = 2900;
/** Message metadata type of notices (alerts carry `trailwatch_alert`). */
const NOTICE_METADATA_EVENT_TYPE = "trailwatch_notice";

export interface NoticeMessage {
  text: string;
  blocks: KnownBlock[];
}

export interface NoticeContext {
  alertChannelId: string;
  /** A display name for an account scope ("default" is the bot's own account). */
  scopeLabel: (scope: string) => string;
}

const isProblemCode = (c: string): c is ProblemCode => (PROBLEM_CODES as readonly string[]).includes(c);

const defaultScopeLabel = (scope: string): string => (scope === "default" ? "this AWS account" : `account ${scope}`);

/** A notice from its lines: the first is the fallback text notifications show, all of them (bounded) the section. */
export function noticeMessage(lines: string[]): NoticeMessage {
  const body = lines.filter((l) => l !== "").join("\n");
  const text = body.length > SECTION_MAX ? `${body.slice(0, SECTION_MAX - 1)}…` : body;
  // The fallback text is what notifications show; the first line says it all.
  return { text: lines[0] ?? "trailwatch notice", blocks: [{ type: "section", text: { type: "mrkdwn", text } }] };
}

function formatDuration(ms: number): string {
  const s = Math.round(Math.abs(ms) / 1000);
  if (s < 120) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 120) return `${m} min`;
  const h = Math.round(m / 60);
  if (h < 48) return `${h} h`;
  return `${Math.round(h / 24)} days`;
}

const MEANWHILE_CLOUDTRAIL =
  "*Meanwhile:* trailwatch keeps trying at every poll. Nothing is lost as long as this is fixed within the 90 days LookupEvents keeps: once it can see again, it reads back from where it stopped and alerts every deletion it missed.";

function cloudTrailFix(p: Problem): string {
  const f = p.failure;
  if (!f) return "*How to fix:* check that the trailwatch process is running its polls (its log says `poll finished`) and that it can reach CloudTrail.";
  switch (f.kind) {
    case "no-credentials":
      return "*How to fix:* give trailwatch AWS credentials through the standard chain: `AWS_ACCESS_KEY_ID`/`AWS_SECRET_ACCESS_KEY`, `AWS_PROFILE` (SSO or shared config), or an instance or task role. Restart trailwatch if you set environment variables.";
    case "denied":
      return `*How to fix:* allow ${code(f.missingPermission ?? "cloudtrail:LookupEvents", 100)} for the bot's identity (statement \`ReadCloudTrailEventHistory\` of \`deploy/iam-policy.json\`), and remove any policy, permissions boundary or SCP that denies it. Nobody should be able to do that silently: check CloudTrail for \`PutRolePolicy\`, \`AttachRolePolicy\` or \`PutRolePermissionsBoundary\` on the bot's role.`;
    case "throttled":
      return "*How to fix:* something else in the account is using the LookupEvents quota (2 calls per second, shared by every tool). Slow that tool down, or lower `LOOKUP_RATE`.";
    default:
      return "*How to fix:* CloudTrail or the network path to it is failing. Check AWS Health, proxies and `AWS_ENDPOINT_URL_CLOUDTRAIL`, and the bot's log for details.";
  }
}

export function problemMessage(p: Problem, ctx: NoticeContext): NoticeMessage {
  const where = prose(ctx.scopeLabel(p.scope), 120);
  const since = slackDate(p.since);
  switch (p.code) {
    case "cloudtrail_blind": {
      const f = p.failure;
      const what = f
        ? f.kind === "no-credentials"
          ? "trailwatch has *no AWS credentials*: it found none in the environment, shared config, SSO profile or instance/task role, so it cannot call LookupEvents at all."
          : `\`LookupEvents\` fails${f.kind === "denied" ? ": *access denied*" : ""}. AWS says ${code(f.code, 80)}: ${prose(f.message, 400)}`
        : "No poll has completed: LookupEvents calls do not come back.";
      return noticeMessage([
        `:rotating_light: *trailwatch cannot see CloudTrail for ${where}* since ${since}: IAM deletions are not being alerted.`,
        `*What is wrong:* ${what}${p.consecutiveFailures ? ` (${p.consecutiveFailures} polls in a row failed)` : ""}`,
        f?.kind === "denied" ? `*Missing permission:* ${code(f.missingPermission ?? "cloudtrail:LookupEvents", 100)}` : "",
        cloudTrailFix(p),
        MEANWHILE_CLOUDTRAIL,
      ]);
    }
    case "slack_unusable": {
      const err = p.slackError ?? "unknown";
      return noticeMessage([
        `:warning: *trailwatch cannot post alerts to <#${ctx.alertChannelId}>* since ${since}. Slack answers ${code(err, 80)}.`,
        `*How to fix:* ${slackFix(err, ctx.alertChannelId)}`,
        "*Meanwhile:* alerts wait in trailwatch's store and go out in the order things happened as soon as Slack takes them. Nothing is lost; polling goes on.",
      ]);
    }
    case "store_unavailable":
      return noticeMessage([
        `:warning: *trailwatch cannot use its database* since ${since}: ${prose(p.storeError ?? "unknown error", 300)}`,
        "*How to fix:* check the disk and the path in `DATABASE_URL` (free space, permissions, the volume is mounted).",
        "*Meanwhile:* polls cannot record alerts; the cursor does not move, so the next poll that can write reads the same window again.",
      ]);
    case "clock_skew": {
      const skew = p.skewMs ?? 0;
      // skew = AWS - host: a positive value means the host is behind.
      return noticeMessage([
        `:clock3: *The host clock is ${formatDuration(skew)} ${skew > 0 ? "behind" : "ahead of"} AWS* (clock skew measured from LookupEvents' \`Date\` header, ${where}) since ${since}.`,
        "*Meanwhile:* trailwatch computes its poll windows in AWS time, so no event is missed. Times the host stamps (logs, detection times) are off by the skew.",
        "*How to fix:* synchronise the host clock (NTP: chrony or systemd-timesyncd).",
      ]);
    }
  }
}

function slackFix(err: string, channelId: string): string {
  switch (err) {
    case "not_in_channel":
      return `invite the bot to the channel: \`/invite @trailwatch\` in <#${channelId}>.`;
    case "channel_not_found":
    case "is_archived":
      return "the alert channel is gone or archived: unarchive it, or set `ALERT_CHANNEL_ID` to a channel the bot is in, and restart.";
    case "invalid_auth":
    case "token_revoked":
      return "the bot token was revoked or is invalid: reinstall the app and set the new `SLACK_BOT_TOKEN`.";
    case "missing_scope":
      return "the app lacks a scope it needs: add the scopes of `manifest.yml` (chat:write among them) and reinstall.";
    default:
      return "Slack or the network to it is failing. Check https://slack-status.com and the bot's log.";
  }
}

function recoveryMessage(code_: ProblemCode, scope: string, since: Date, now: Date, ctx: NoticeContext, caughtUp?: { alerted: number; muted: number }): NoticeMessage {
  const where = prose(ctx.scopeLabel(scope), 120);
  const span = `from ${slackDate(since)} to ${slackDate(now)} (${formatDuration(now.getTime() - since.getTime())})`;
  switch (code_) {
    case "cloudtrail_blind": {
      const n = caughtUp?.alerted ?? 0;
      const muted = caughtUp?.muted ?? 0;
      return noticeMessage([
        `:white_check_mark: *trailwatch can see CloudTrail again for ${where}.* It was blind ${span}.`,
        `It has read that time back: *${n} deletion${n === 1 ? "" : "s"}* made meanwhile ${n === 1 ? "was" : "were"} caught up and alerted${muted > 0 ? ` (${muted} more muted by the noise settings)` : ""}.`,
      ]);
    }
    case "slack_unusable":
      return noticeMessage([`:white_check_mark: *trailwatch can post to <#${ctx.alertChannelId}> again* (it could not ${span}). Alerts that waited are being posted in order.`]);
    case "store_unavailable":
      return noticeMessage([`:white_check_mark: *trailwatch can use its database again* (it could not ${span}).`]);
    case "clock_skew":
      return noticeMessage([`:white_check_mark: *The host clock agrees with AWS again* (${where}; it was off ${span}).`]);
  }
}

export function coverageMessage(n: CoverageNotice, ctx: NoticeContext): NoticeMessage {
  const where = prose(ctx.scopeLabel(n.scope), 120);
  if (n.kind === "first-start") {
    return noticeMessage([
      `:eyes: *trailwatch is watching ${where} for IAM deletions from ${slackDate(n.watchingFrom)} on.*`,
      "This is a first start, or its database is new or was lost: deletions before that time are not checked. To check earlier history, search CloudTrail (event history keeps 90 days) or your trail's logs.",
    ]);
  }
  return noticeMessage([
    `:warning: *trailwatch was stopped longer than CloudTrail's 90-day event history for ${where}.* Deletions between ${slackDate(n.from)} and ${slackDate(n.to)} cannot be checked by trailwatch any more.`,
    "To check that range, search the logs of a CloudTrail trail (S3) or CloudTrail Lake, if the account has one. Watching continues from the oldest time LookupEvents still serves.",
  ]);
}

/** One line per problem, for App Home and `/iam-audit health`. */
export function problemLine(p: Problem, ctx: NoticeContext): string {
  const since = slackDate(p.since);
  const where = prose(ctx.scopeLabel(p.scope), 120);
  switch (p.code) {
    case "cloudtrail_blind":
      return `:rotating_light: Cannot see CloudTrail for ${where} since ${since}${p.failure ? `: ${code(p.failure.code, 80)}${p.failure.missingPermission ? `, missing ${code(p.failure.missingPermission, 100)}` : ""}` : ""}.`;
    case "slack_unusable":
      return `:warning: Cannot post to <#${ctx.alertChannelId}> since ${since}: ${code(p.slackError ?? "unknown", 80)}.`;
    case "store_unavailable":
      return `:warning: The database fails since ${since}.`;
    case "clock_skew":
      return `:clock3: Host clock ${formatDuration(p.skewMs ?? 0)} ${(p.skewMs ?? 0) > 0 ? "behind" : "ahead of"} AWS (${where}) since ${since}; compensated.`;
  }
}

export interface NotifierDeps {
  store: Store;
  health: HealthModel;
  /** A Web API client with retries off (the outbox retries). */
  client: WebClient;
  channelId: string;
  /** APPROVERS: user ids (U…/W…) and user group ids (S…), DMed when the alert channel is unusable. */
  approvers: readonly string[];
  logger: Logger;
  now: () => Date;
  scopeLabel?: (scope: string) => string;
  /** Called with the outcome of every Slack call the notifier makes (feeds the health model). */
  onSlackResult?: (r: SlackResult) => void;
  /** Refreshes these users' App Home tabs (it shows the problem) when the notice channel cannot be used. */
  refreshHome?: (userIds: string[]) => Promise<void>;
}

function slackErrorOf(err: unknown): string {
  const e = err as { data?: { error?: unknown }; code?: unknown };
  if (typeof e.data?.error === "string") return e.data.error;
  if (e.code === "slack_webapi_rate_limited_error") return "ratelimited";
  return typeof e.code === "string" ? e.code : errorFields(err).errorName;
}

export class Notifier {
  private readonly ctx: NoticeContext;
  private syncing: Promise<void> | null = null;
  private draining: Promise<void> | null = null;
  private nextDrain: Promise<void> | null = null;
  private failures = 0;
  private retryAt = 0;

  constructor(private readonly deps: NotifierDeps) {
    this.ctx = { alertChannelId: deps.channelId, scopeLabel: deps.scopeLabel ?? defaultScopeLabel };
  }

  get context(): NoticeContext {
    return this.ctx;
  }

  /** Brings episodes in line with the health model, queues notices, and posts what is waiting. Never throws. */
  async sync(): Promise<void> {
    // Serialised: two overlapping syncs could both see an episode as new.
    const previous = this.syncing ?? Promise.resolve();
    const run = previous.then(() => this.syncNow());
    this.syncing = run.catch(() => undefined);
    await this.syncing;
  }

  private async syncNow(): Promise<void> {
    const { store, health, logger } = this.deps;
    try {
      const now = this.deps.now();
      const problems = health.problems();
      for (const p of problems) {
        const detail = { ...(p.failure ? { failure: p.failure } : {}), ...(p.slackError ? { slackError: p.slackError } : {}), ...(p.skewMs !== undefined ? { skewMs: p.skewMs } : {}) };
        if (await store.openHealthEpisode({ scope: p.scope, code: p.code, startedAt: p.since, detail })) {
          logger.warn({ scope: p.scope, code: p.code, since: p.since.toISOString(), ...detail }, "health problem");
          await store.enqueueNotice({ key: `problem:${p.scope}:${p.code}:${p.since.getTime()}`, createdAt: now, ...problemMessage(p, this.ctx) });
        }
      }
      for (const e of await store.openHealthEpisodes()) {
        // Episodes of other kinds (a watched account's, src/accounts/notices.ts) are closed by their owner.
        if (!isProblemCode(e.code)) continue;
        if (problems.some((p) => p.scope === e.scope && p.code === e.code)) continue;
        if (!this.cleared(e.scope, e.code)) continue;
        if (!(await store.closeHealthEpisode(e.scope, e.code, now))) continue;
        const caughtUp = e.code === "cloudtrail_blind" ? await this.caughtUp(e.startedAt) : undefined;
        logger.info({ scope: e.scope, code: e.code, since: e.startedAt.toISOString(), ...caughtUp }, "health problem cleared");
        await store.enqueueNotice({
          key: `recovered:${e.scope}:${e.code}:${e.startedAt.getTime()}`,
          createdAt: now,
          ...recoveryMessage(e.code, e.scope, e.startedAt, now, this.ctx, caughtUp),
        });
      }
    } catch (err) {
      logger.error(errorFields(err), "could not update health episodes");
    }
    await this.drain();
  }

  /** Whether there is positive evidence the problem is gone (not just that the model has not seen it yet). */
  private cleared(scope: string, code_: ProblemCode): boolean {
    const d = this.deps.health.details();
    const s = d.scopes.find((x) => x.scope === scope);
    switch (code_) {
      case "cloudtrail_blind":
        return s !== undefined && s.lastCompletedAt !== null && s.consecutiveFailures === 0;
      case "clock_skew":
        return s !== undefined && s.clockSkewMs !== null;
      case "slack_unusable":
        return this.deps.health.slackOkSeen;
      case "store_unavailable":
        return d.scopes.some((x) => x.lastCompletedAt !== null);
    }
  }

  private async caughtUp(since: Date): Promise<{ alerted: number; muted: number }> {
    // Found after the episode began: no poll completed meanwhile, so the recovering polls found them. Their
    // event time may be a little earlier (made just before, delivered late), hence the wider event window.
    const alerts = await this.deps.store.listAlerts({ since: new Date(since.getTime() - 86_400_000), includeMuted: true, limit: 100_000 });
    const found = alerts.filter((a) => a.detectedAt.getTime() >= since.getTime());
    return { alerted: found.filter((a) => !a.muted).length, muted: found.filter((a) => a.muted).length };
  }

  /** Queues a coverage notice (first start, or history beyond 90 days); keyed so it is said once. */
  async coverage(n: CoverageNotice): Promise<void> {
    const key = n.kind === "first-start" ? `coverage:first:${n.scope}` : `coverage:gap:${n.scope}:${n.from.getTime()}`;
    if (await this.deps.store.enqueueNotice({ key, createdAt: this.deps.now(), ...coverageMessage(n, this.ctx) })) {
      this.deps.logger.info({ scope: n.scope, kind: n.kind }, "coverage notice queued");
    }
    await this.drain();
  }

  /**
   * Posts waiting notices (every kind in the outbox: health, coverage, watched accounts): to the alert channel,
   * or to the approvers when the channel cannot be used. One drain at a time: two at once would read the same
   * pending notices (on PostgreSQL this replica's own claim hands them to both) and post them twice. A call made
   * while one runs waits for the next, which sees what was queued meanwhile; calls made together share it.
   */
  drain(): Promise<void> {
    this.nextDrain ??= (this.draining ?? Promise.resolve())
      .catch(() => undefined) // the failed drain's callers were told; the next one runs regardless
      .then(() => {
        this.nextDrain = null;
        this.draining = this.drainNow().finally(() => {
          this.draining = null;
        });
        return this.draining;
      });
    return this.nextDrain;
  }


  private async drainNow(): Promise<void> {
    const { store, logger } = this.deps;
    // After a failure, wait before asking Slack again (1 s, 2 s, 4 s, … up to a minute): sync runs often.
    if (this.deps.now().getTime() < this.retryAt) return;
    let pending;
    try {
      pending = await store.pendingNotices(20);
    } catch (err) {
      logger.error(errorFields(err), "could not read pending notices");
      return;
    }
    for (const n of pending) {
      const msg = { text: n.text, blocks: n.blocks as KnownBlock[] };
      try {
        const res = await this.deps.client.chat.postMessage({
          channel: this.deps.channelId,
          ...msg,
          unfurl_links: false,
          unfurl_media: false,
          metadata: { event_type: NOTICE_METADATA_EVENT_TYPE, event_payload: { notice: n.key } },
        });
        this.deps.onSlackResult?.({ ok: true });
        this.failures = 0;
        await store.markNoticePosted(n.key, this.deps.channelId, res.ts ?? "", this.deps.now());
        logger.info({ notice: n.key }, "notice posted");
      } catch (err) {
        const error = slackErrorOf(err);
        this.deps.onSlackResult?.({ ok: false, error });
        if (CHANNEL_SLACK_ERRORS.has(error)) {
          const sent = await this.directMessageApprovers(msg, error);
          if (sent > 0) {
            await store.markNoticePosted(n.key, "dm", "", this.deps.now());
            continue;
          }
        }
        await store.markNoticeFailed(n.key, error);
        this.failures++;
        this.retryAt = this.deps.now().getTime() + Math.min(60_000, 1000 * 2 ** Math.min(this.failures - 1, 6));
        logger.warn({ notice: n.key, slackError: error }, "notice not posted; will retry");
        // The channel is failing: later notices would fail the same way, keep their order.
        break;
      }
    }
  }

  private async approverIds(): Promise<string[]> {
    const ids = new Set<string>();
    for (const entry of this.deps.approvers) {
      if (!entry.startsWith("S")) {
        ids.add(entry);
        continue;
      }
      try {
        const res = await this.deps.client.usergroups.users.list({ usergroup: entry });
        for (const u of res.users ?? []) ids.add(u);
      } catch (err) {
        this.deps.logger.warn({ usergroup: entry, ...errorFields(err) }, "could not expand an approver user group for a notice");
      }
    }
    return [...ids];
  }

  private async directMessageApprovers(msg: NoticeMessage, channelError: string): Promise<number> {
    const prefix = `(Sent to you directly because trailwatch cannot post to <#${this.deps.channelId}>: ${code(channelError, 80)}.)`;
    let sent = 0;
    const users = await this.approverIds();
    for (const user of users) {
      try {
        await this.deps.client.chat.postMessage({
          channel: user,
          text: msg.text,
          blocks: [...msg.blocks, { type: "context", elements: [{ type: "mrkdwn", text: prefix }] }],
          unfurl_links: false,
          unfurl_media: false,
        });
        sent++;
      } catch (err) {
        this.deps.logger.warn({ user, ...errorFields(err) }, "could not DM an approver about a health problem");
      }
    }
    if (sent === 0) this.deps.logger.error({ channelError }, "no approver could be told about a health problem (APPROVERS empty or unreachable)");
    try {
      await this.deps.refreshHome?.(users);
    } catch (err) {
      this.deps.logger.warn(errorFields(err), "could not refresh the approvers' App Home");
    }
    return sent;
  }
}

/** The plain-text health report for `/iam-audit health` and loopback /healthz callers. */
export function healthReport(health: HealthModel, ctx: NoticeContext): { text: string; lines: string[] } {
  const d = health.details();
  const lines: string[] = [];
  if (d.problems.length === 0) lines.push(":white_check_mark: No problem: trailwatch can see CloudTrail and post to Slack.");
  for (const p of d.problems) lines.push(problemLine(p, ctx));
  for (const s of d.scopes) {
    lines.push(
      `• ${prose(ctx.scopeLabel(s.scope), 120)}: last complete poll ${s.lastCompletedAt ? slackDate(s.lastCompletedAt) : "none yet"}` +
        (s.consecutiveFailures > 0 ? `, ${s.consecutiveFailures} failed in a row` : "") +
        `${s.clockSkewMs !== null ? `, AWS clock ${s.clockSkewMs >= 0 ? "+" : "-"}${formatDuration(s.clockSkewMs)} vs host` : ""}.`,
    );
  }
  return { text: `trailwatch health: ${health.publicStatus().status}`, lines };
}

