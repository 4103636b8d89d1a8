// `/iam-audit accounts`: the AWS accounts trailwatch watches, when each was last polled and whether it can be.
// Names come from ACCOUNTS_FILE or from AWS Organizations (set by whoever administers an account): escaped.
import type { KnownBlock } from "@slack/types";
import type { AccountStatus } from "../../accounts/pollers.js";
import { code, slackDate, truncateEscaped } from "../mrkdwn.js";
import { accountLabel, type SlackMessage } from "./audit.js";
import type { AccountSnapshotResult, AccountSnapshotState } from "../../snapshot/fleet.js";

/** Accounts per message (a section each, under Slack's 50 blocks); the rest is counted. */
const PER_MESSAGE = 45;
const MAX_MESSAGES = 5;

const SOURCE_TEXT: Record<string, string> = {
  own: "the bot's own account only (set ACCOUNTS_FILE or ORG_ROLE_NAME to watch more)",
  file: "the accounts listed in ACCOUNTS_FILE",
  organizations: "the active accounts of the AWS Organization (ORG_ROLE_NAME), re-listed periodically",
};

/** The account's last snapshot as `/iam-audit accounts` shows it. */
function snapshotText(state: AccountSnapshotState | undefined): string {
  if (!state) return "";
  const last = state.latest ? `last IAM snapshot ${slackDate(state.latest.confirmedAt)} (#${String(state.latest.id)})` : "no IAM snapshot yet";
  const failed = state.failure ? ` · ⚠️ *snapshot failed* ${slackDate(state.failure.at)}: ${code(state.failure.error, 200)}` : "";
  return `\n${last}${failed}`;
}

function accountLine(s: AccountStatus, snapshot?: AccountSnapshotState): string {
  const a = s.account;
  const health = s.health === "ok" ? "✅ ok" : s.health === "failing" ? `⚠️ *failing* (${s.consecutiveFailures} polls in a row)` : "⏳ not polled yet";
  const own = a.own ? " · bot's own account" : "";
  const last = s.lastPollAt ? `last poll ${slackDate(s.lastPollAt)}` : "no poll yet";
  const complete = s.lastCompletedAt ? `, last complete window up to ${slackDate(s.lastCompletedAt)}` : "";
  const error = s.health === "failing" && s.lastError ? `\n      ${code(s.lastError, 300)}` : "";
  return `${accountLabel(a)}${own}\n${health} · ${last}${complete}${error}${snapshotText(snapshot)}`;
}

/** A head line and one section per line, over as many messages as needed (at most MAX_MESSAGES); the rest is counted. */
function pagedLines(head: string, lines: string[], continued: string, moreText: (n: number) => string): SlackMessage[] {
  const messages: SlackMessage[] = [];
  for (let i = 0; i < lines.length && messages.length < MAX_MESSAGES; i += PER_MESSAGE) {
    const blocks: KnownBlock[] = [];
    if (i === 0) blocks.push({ type: "section", text: { type: "mrkdwn", text: truncateEscaped(head, 2900) } });
    for (const line of lines.slice(i, i + PER_MESSAGE)) blocks.push({ type: "section", text: { type: "mrkdwn", text: truncateEscaped(line, 2900) } });
    messages.push({ text: i === 0 ? head : continued, blocks });
  }
  const shown = Math.min(lines.length, MAX_MESSAGES * PER_MESSAGE);
  if (shown < lines.length) {
    const last = messages[messages.length - 1] as SlackMessage;
    last.blocks.push({ type: "context", elements: [{ type: "mrkdwn", text: moreText(lines.length - shown) }] });
  }
  if (messages.length === 0) messages.push({ text: head, blocks: [{ type: "section", text: { type: "mrkdwn", text: head } }] });
  return messages;
}

export function accountsMessages(statuses: AccountStatus[], source: string, now: Date, snapshots?: ReadonlyMap<string, AccountSnapshotState> | null): SlackMessage[] {
  const failing = statuses.filter((s) => s.health === "failing").length;
  const head = `*Watched AWS accounts:* ${statuses.length}${failing > 0 ? ` · ⚠️ ${failing} failing` : ""} · ${SOURCE_TEXT[source] ?? source} · as of ${slackDate(now)}`;
  // Failing accounts first, so they are never the ones cut off.
  const sorted = [...statuses].sort((a, b) => Number(b.health === "failing") - Number(a.health === "failing") || a.account.name.localeCompare(b.account.name));
  return pagedLines(
    head,
    sorted.map((s) => accountLine(s, snapshots?.get(s.account.scope))),
    "Watched AWS accounts (continued)",
    (n) => `…and ${n} more accounts not shown (failing accounts are listed first).`,
  );
}

/** `/iam-audit snapshot` with several accounts: one line per account, failed ones first. */
export function snapshotRunMessages(results: AccountSnapshotResult[]): SlackMessage[] {
  const failed = results.filter((r) => !r.result.ok);
  const stored = results.filter((r) => r.result.ok && r.result.stored).length;
  const head = `*IAM snapshots of ${String(results.length)} watched accounts:* ${String(stored)} stored, ${String(results.length - stored - failed.length)} unchanged${failed.length > 0 ? `, ⚠️ ${String(failed.length)} failed (their restores keep using their previous snapshot)` : ""}`;
  // Failed accounts first, so they are never the ones cut off.
  const sorted = [...results].sort((a, b) => Number(a.result.ok) - Number(b.result.ok) || a.account.name.localeCompare(b.account.name));
  const line = ({ account, result }: AccountSnapshotResult): string => {
    const who = accountLabel(account);
    if (!result.ok) return `${who}: ⚠️ failed: ${code(result.error, 300)}`;
    const gaps = result.gaps.length > 0 ? ` (⚠️ not in it: ${code(result.gaps.join("; "), 300)})` : "";
    return `${who}: ${result.stored ? "stored" : "unchanged since"} snapshot #${String(result.meta.id)}, ${String(result.calls)} AWS calls${gaps}`;
  };
  return pagedLines(head, sorted.map(line), "IAM snapshots (continued)", (n) => `…and ${n} more accounts not shown (failed accounts are listed first).`);
}
