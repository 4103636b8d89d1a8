// `/iam-audit accounts`: the AWS accounts trailwatch watches, when each was last polled and whether it can be.
// Names come from ACCOUNTS_FILE or from AWS Organizations (set by whoever administers an account): escaped.
import type { KnownBlock } from "@slack/types";
import type { AccountStatus } from "../../accounts/pollers.js";
import { code, prose, slackDate, truncateEscaped } from "../mrkdwn.js";
import type { SlackMessage } from "./audit.js";

/** Accounts per message (a section each, under Slack's 50 blocks); the rest is counted. */
const PER_MESSAGE = 45;
const MAX_MESSAGES = 5;

const SOURCE_TEXT: Record<string, string> = {
  own: "the bot's own account only (set ACCOUNTS_FILE or ORG_ROLE_NAME to watch more)",
  file: "the accounts listed in ACCOUNTS_FILE",
  organizations: "the active accounts of the AWS Organization (ORG_ROLE_NAME), re-listed periodically",
};

function accountLine(s: AccountStatus): string {
  const a = s.account;
  const health = s.health === "ok" ? "✅ ok" : s.health === "failing" ? `⚠️ *failing* (${s.consecutiveFailures} polls in a row)` : "⏳ not polled yet";
  const own = a.own ? " · bot's own account" : "";
  const last = s.lastPollAt ? `last poll ${slackDate(s.lastPollAt)}` : "no poll yet";
  const complete = s.lastCompletedAt ? `, last complete window up to ${slackDate(s.lastCompletedAt)}` : "";
  const error = s.health === "failing" && s.lastError ? `\n      ${code(s.lastError, 300)}` : "";
  return `*${prose(a.name, 64)}* ${code(a.id ?? "id unknown", 20)}${own}\n${health} · ${last}${complete}${error}`;
}

export function accountsMessages(statuses: AccountStatus[], source: string, now: Date): SlackMessage[] {
  const failing = statuses.filter((s) => s.health === "failing").length;
  const head = `*Watched AWS accounts:* ${statuses.length}${failing > 0 ? ` · ⚠️ ${failing} failing` : ""} · ${SOURCE_TEXT[source] ?? source} · as of ${slackDate(now)}`;
  // Failing accounts first, so they are never the ones cut off.
  const sorted = [...statuses].sort((a, b) => Number(b.health === "failing") - Number(a.health === "failing") || a.account.name.localeCompare(b.account.name));
  const messages: SlackMessage[] = [];
  for (let i = 0; i < sorted.length && messages.length < MAX_MESSAGES; i += PER_MESSAGE) {
    const blocks: KnownBlock[] = [];
    if (i === 0) blocks.push({ type: "section", text: { type: "mrkdwn", text: truncateEscaped(head, 2900) } });
    for (const s of sorted.slice(i, i + PER_MESSAGE)) blocks.push({ type: "section", text: { type: "mrkdwn", text: truncateEscaped(accountLine(s), 2900) } });
    messages.push({ text: i === 0 ? head : "Watched AWS accounts (continued)", blocks });
  }
  const shown = Math.min(sorted.length, MAX_MESSAGES * PER_MESSAGE);
  if (shown < sorted.length) {
    const last = messages[messages.length - 1] as SlackMessage;
    last.blocks.push({ type: "context", elements: [{ type: "mrkdwn", text: `…and ${sorted.length - shown} more accounts not shown (failing accounts are listed first).` }] });
  }
  if (messages.length === 0) messages.push({ text: head, blocks: [{ type: "section", text: { type: "mrkdwn", text: head } }] });
  return messages;
}
