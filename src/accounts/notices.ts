// One Slack message when a watched account stops being watchable (its role cannot be assumed, or its polls
// keep failing) and one when it recovers: once per episode, never once per poll. The bot's own account is
// left to the health model's notices. Account names come from configuration or Organizations and are escaped.
//
// Episodes are kept in the store (health_episodes, code "account_unreachable", scope = the account's) and the
// messages go through the notice outbox the health notices use (keyed by account and episode start, posted by
// the Notifier's drain): a restart or another replica taking the lead neither posts an ongoing episode's notice
// again nor forgets its recovery, and a Slack outage delays a notice without losing it.
import type { AwsErrorInfo } from "../aws/errors.js";
import { noticeMessage, type NoticeMessage, type Notifier } from "../health/notices.js";
import type { Logger } from "../log.js";
import { code, prose, slackDate } from "../slack/mrkdwn.js";
import type { HealthEpisodeRecord, Store } from "../store/types.js";
import type { WatchedAccount } from "./registry.js";

/** Failed polls in a row (other than a refused AssumeRole, which counts at once) that open an episode. */
export const FAILURES_BEFORE_NOTICE = 3;

/** The health_episodes code of a watched account that cannot be polled (the health model's codes are others). */
export const ACCOUNT_EPISODE_CODE = "account_unreachable";

export interface AccountPollOutcome {
  ok: boolean;
  consecutiveFailures: number;
  /** Set when the last AssumeRole into the account failed. */
  assumeError?: AwsErrorInfo;
  /** The poll's last error, as the poller reports it. */
  error?: string | null;
}

export interface AccountNoticesDeps {
  store: Store;
  /** Posts what is queued (one drain at a time, retried with backoff by the Notifier's own sync loop). */
  notifier: Pick<Notifier, "drain">;
  logger: Logger;
  now: () => Date;
}

/** Outbox keys: one problem and one recovery notice per account and episode. */
const accountNoticeKey = (kind: "problem" | "recovered", scope: string, since: Date): string => `account-${kind}:${scope}:${since.getTime()}`;

export class AccountNotices {
  constructor(private readonly deps: AccountNoticesDeps) {}

  /** Called after each poll of a watched account (by the leader only): opens or closes its episode and queues its notice. */
  async update(account: WatchedAccount, outcome: AccountPollOutcome): Promise<void> {
    if (account.own) return;
    const queued = outcome.ok ? await this.recovered(account) : await this.failed(account, outcome);
    if (queued) await this.deps.notifier.drain();
  }

  private async openEpisodes(scope?: string): Promise<HealthEpisodeRecord[]> {
    return (await this.deps.store.openHealthEpisodes()).filter((e) => e.code === ACCOUNT_EPISODE_CODE && (scope === undefined || e.scope === scope));
  }

  private async failed(account: WatchedAccount, outcome: AccountPollOutcome): Promise<boolean> {
    const opens = outcome.assumeError !== undefined || outcome.consecutiveFailures >= FAILURES_BEFORE_NOTICE;
    if (!opens) return false;
    const { store, now } = this.deps;
    const at = now();
    const detail = { accountName: account.name.slice(0, 200), ...(outcome.assumeError ? { assumeError: outcome.assumeError.code } : {}), error: (outcome.error ?? "").slice(0, 500) };
    const opened = await store.openHealthEpisode({ scope: account.scope, code: ACCOUNT_EPISODE_CODE, startedAt: at, detail });
    // Already open (this process or an earlier leader opened it): its notice is queued again under the same
    // key, which is a no-op unless a crash came between opening the episode and queueing its notice.
    const since = opened ? at : (await this.openEpisodes(account.scope))[0]?.startedAt;
    if (!since) return false;
    const queued = await store.enqueueNotice({ key: accountNoticeKey("problem", account.scope, since), createdAt: at, ...accountProblemMessage(account, since, outcome) });
    if (queued) {
      this.deps.logger.error(
        { account: account.scope, accountName: account.name, assumeError: outcome.assumeError?.code, error: outcome.error },
        "a watched account cannot be polled; posting a notice",
      );
    }
    return queued;
  }

  private async recovered(account: WatchedAccount): Promise<boolean> {
    const { store, now } = this.deps;
    const episode = (await this.openEpisodes(account.scope))[0];
    if (!episode) return false;
    const at = now();
    // Queued before the episode is closed: a crash in between leaves it open, and the next good poll queues
    // the same key again (a no-op) and closes it.
    const queued = await store.enqueueNotice({ key: accountNoticeKey("recovered", account.scope, episode.startedAt), createdAt: at, ...accountRecoveryMessage(account, episode.startedAt) });
    await store.closeHealthEpisode(account.scope, ACCOUNT_EPISODE_CODE, at);
    this.deps.logger.info({ account: account.scope, accountName: account.name, since: episode.startedAt.toISOString() }, "a watched account can be polled again");
    return queued;
  }
}

function label(account: WatchedAccount): string {
  return `*${prose(account.name, 64)}* (${code(account.id ?? account.scope, 20)})`;
}

function accountProblemMessage(account: WatchedAccount, since: Date, outcome: AccountPollOutcome): NoticeMessage {
  const lines = [`:warning: trailwatch cannot watch AWS account ${label(account)} since ${slackDate(since)}.`];
  const a = outcome.assumeError;
  if (a) {
    lines.push(`It could not assume ${code(account.roleArn ?? "its role", 200)}: STS answered ${code(a.code, 60)}${a.kind === "denied" ? " (denied)" : ""}.`);
    lines.push(
      a.kind === "denied"
        ? "*Fix:* make sure the role exists, that its trust policy lets the bot's identity call `sts:AssumeRole` (with the configured external id, if any), and that the bot's identity may assume it."
        : "*Fix:* check that STS is reachable from the bot; it retries at every poll.",
    );
  } else {
    lines.push(`Its last ${outcome.consecutiveFailures} polls failed: ${code(outcome.error ?? "unknown error", 300)}.`);
    lines.push("*Fix:* check that the role grants `cloudtrail:LookupEvents`; a throttling or outage clears by itself.");
  }
  lines.push(
    "*Meanwhile:* the other accounts are watched as usual. Deletions in this account are not alerted until it can be polled again; " +
      "then the bot catches up from where it stopped (CloudTrail keeps 90 days of event history).",
  );
  return noticeMessage(lines);
}

function accountRecoveryMessage(account: WatchedAccount, since: Date): NoticeMessage {
  return noticeMessage([`:white_check_mark: trailwatch watches AWS account ${label(account)} again (it could not since ${slackDate(since)}); deletions made meanwhile are being caught up.`]);
}
