// One Slack message when a watched account stops being watchable (its role cannot be assumed, or its polls
// keep failing) and one when it recovers: once per episode, never once per poll. The bot's own account is
// left to the health model's notices. Account names come from configuration or Organizations and are escaped.
import type { WebClient } from "@slack/web-api";
import type { AwsErrorInfo } from "../aws/errors.js";
import { errorFields, type Logger } from "../log.js";
import { code, prose, slackDate } from "../slack/mrkdwn.js";
import type { WatchedAccount } from "./registry.js";

/** Failed polls in a row (other than a refused AssumeRole, which counts at once) that open an episode. */
export const FAILURES_BEFORE_NOTICE = 3;

export interface AccountPollOutcome {
  ok: boolean;
  consecutiveFailures: number;
  /** Set when the last AssumeRole into the account failed. */
  assumeError?: AwsErrorInfo;
  /** The poll's last error, as the poller reports it. */
  error?: string | null;
}

interface Episode {
  since: Date;
  /** False until the notice reached Slack (then it is retried after the next poll). */
  posted: boolean;
}

export class AccountNotices {
  private readonly episodes = new Map<string, Episode>();

  constructor(private readonly deps: { client: WebClient; channelId: string; logger: Logger; now: () => Date }) {}

  /** Accounts with an open episode, by scope. */
  get failing(): ReadonlySet<string> {
    return new Set(this.episodes.keys());
  }

  async update(account: WatchedAccount, outcome: AccountPollOutcome): Promise<void> {
    if (account.own) return;
    const episode = this.episodes.get(account.scope);
    if (outcome.ok) {
      if (!episode) return;
      this.episodes.delete(account.scope);
      if (!episode.posted) return;
      await this.post(account, recoveryText(account, episode.since), "account recovered");
      return;
    }
    const opens = outcome.assumeError !== undefined || outcome.consecutiveFailures >= FAILURES_BEFORE_NOTICE;
    if (!opens) return;
    const current = episode ?? { since: this.deps.now(), posted: false };
    this.episodes.set(account.scope, current);
    if (current.posted) return;
    this.deps.logger.error(
      { account: account.scope, accountName: account.name, assumeError: outcome.assumeError?.code, error: outcome.error },
      "a watched account cannot be polled; posting a notice",
    );
    current.posted = await this.post(account, problemText(account, current.since, outcome), "account unreachable");
  }

  private async post(account: WatchedAccount, text: string, what: string): Promise<boolean> {
    try {
      await this.deps.client.chat.postMessage({ channel: this.deps.channelId, text, unfurl_links: false, unfurl_media: false });
      this.deps.logger.info({ account: account.scope, notice: what }, "account notice posted");
      return true;
    } catch (err) {
      this.deps.logger.error({ account: account.scope, notice: what, ...errorFields(err) }, "could not post an account notice; will retry after the next poll");
      return false;
    }
  }
}

function label(account: WatchedAccount): string {
  return `*${prose(account.name, 64)}* (${code(account.id ?? account.scope, 20)})`;
}

export function problemText(account: WatchedAccount, since: Date, outcome: AccountPollOutcome): string {
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
  return lines.join("\n");
}

export function recoveryText(account: WatchedAccount, since: Date): string {
  return `:white_check_mark: trailwatch watches AWS account ${label(account)} again (it could not since ${slackDate(since)}); deletions made meanwhile are being caught up.`;
}
