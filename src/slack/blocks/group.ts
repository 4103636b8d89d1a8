// Messages for a group of alerts: a deletion chain (one actor taking one resource apart, steps listed) and
// a storm digest (counts, actors, time range; the events themselves go into thread replies). Pure builders.
//
// Same safety rules as the single alert: everything from CloudTrail is escaped and bounded (`code`,
// `prose`), headers are plain text, and every message is checked against the character budget.
import type { ActionsBlock, Button, KnownBlock, SectionBlock } from "@slack/types";
import type { AlertActivity } from "../../alerts.js";
import { getCatalogEntry } from "../../catalog/index.js";
import { isIamDeletionEventName, SEVERITY_RANK, type Severity } from "../../domain.js";
import type { GroupSnapshot } from "../../grouping/grouper.js";
import type { AlertRecord } from "../../store/types.js";
import { ActionIds, ALERT_METADATA_EVENT_TYPE } from "../action-ids.js";
import { code, prose, sanitizeInline, slackDate, truncate, truncateEscaped, userMention } from "../mrkdwn.js";
import { SEVERITY_DISPLAY } from "./alert.js";
import { blocksCharCount, LIMITS } from "./limits.js";

export interface GroupMessage {
  text: string;
  blocks: KnownBlock[];
  metadata: { event_type: string; event_payload: { event_id: string; group_id: string } };
  /** Members listed in the message itself; the others need a thread reply to be visible. */
  shownIds: string[];
}

const GroupBlockIds = {
  header: "group_header",
  summary: "group_summary",
  steps: "group_steps",
  counts: "group_counts",
  activity: "group_activity",
  restore: "group_restore",
  actions: "group_actions",
  rule: "group_rule",
} as const;

const RESOURCE_LABEL: Record<string, string> = {
  role: "role",
  user: "user",
  group: "group",
  policy: "policy",
  "instance-profile": "instance profile",
  "oidc-provider": "OIDC provider",
  "mfa-device": "MFA device",
  other: "resource",
};

/** Chains list at most this many steps at the top level; the rest go to the thread. */
const MAX_CHAIN_STEPS_SHOWN = 20;

function mrkdwn(text: string): { type: "mrkdwn"; text: string } {
  return { type: "mrkdwn", text };
}

function section(blockId: string, text: string): SectionBlock {
  return { type: "section", block_id: blockId, text: mrkdwn(truncateEscaped(text, LIMITS.sectionText)) };
}

function highest(members: readonly AlertRecord[]): Severity {
  let s: Severity = "low";
  for (const m of members) if (SEVERITY_RANK[m.severity] > SEVERITY_RANK[s]) s = m.severity;
  return s;
}

function outcomeWord(a: AlertRecord): string {
  if (a.outcome === "success") return "succeeded";
  return `${a.outcome} (${prose(a.event.errorCode ?? "error", 60)})`;
}

function principal(a: AlertRecord): string {
  const x = a.event.actor;
  return x.arn ?? x.principalId ?? x.userName ?? x.invokedBy ?? "unknown principal";
}

/**
 * The alert the group's buttons act on and whose activity they show: the group's first member. It never
 * changes as the group grows, so an Acknowledge stays shown as done and old buttons keep working.
 */
export function representative(snapshot: GroupSnapshot, members: readonly AlertRecord[]): AlertRecord | undefined {
  return members.find((m) => m.eventId === snapshot.memberIds[0]) ?? members[0];
}

/** One line per event, for chain steps and digest thread replies. Safe mrkdwn. */
function eventLine(a: AlertRecord): string {
  const sev = SEVERITY_DISPLAY[a.severity];
  const when = a.eventTime ? slackDate(a.eventTime) : "unknown time";
  const res = a.event.resources
    .slice(0, 2)
    .map((r) => `${prose(r.label || r.kind, 30)} ${code(r.value, 120)}`)
    .join(", ");
  return `${sev.emoji} ${when} ${code(a.eventName, 60)}${res ? ` · ${res}` : ""} · ${outcomeWord(a)}`;
}

function activityLines(activity: AlertActivity): string[] {
  const lines: string[] = [];
  if (activity.acknowledged) lines.push(`✅ Acknowledged by ${userMention(activity.acknowledged.by)} at ${slackDate(activity.acknowledged.at)}`);
  if (activity.escalated) lines.push(`📣 Escalated by ${userMention(activity.escalated.by)} at ${slackDate(activity.escalated.at)}`);
  for (const r of (activity.remediated ?? []).slice(-3)) {
    lines.push(`🛠️ Remediated: ${prose(r.summary, 200)}, requested by ${userMention(r.requestedBy)}, approved by ${userMention(r.approvedBy)}`);
  }
  return lines;
}

function buttons(rep: AlertRecord, activity: AlertActivity, remediable: boolean): ActionsBlock | null {
  const value = truncate(rep.eventId, LIMITS.buttonValue);
  const b = (id: string, label: string, style?: "primary" | "danger"): Button => ({
    type: "button",
    action_id: id,
    text: { type: "plain_text", text: label, emoji: true },
    value,
    ...(style ? { style } : {}),
  });
  const els: Button[] = [];
  if (!activity.acknowledged) els.push(b(ActionIds.acknowledge, "Acknowledge", "primary"));
  if (!activity.escalated) els.push(b(ActionIds.escalate, "Escalate"));
  if (remediable) els.push(b(ActionIds.remediate, "Remediate", "danger"));
  return els.length > 0 ? { type: "actions", block_id: GroupBlockIds.actions, elements: els } : null;
}

function metadataFor(snapshot: GroupSnapshot, rep: AlertRecord): GroupMessage["metadata"] {
  return {
    event_type: ALERT_METADATA_EVENT_TYPE,
    event_payload: { event_id: truncate(rep.eventId, LIMITS.buttonValue), group_id: truncate(snapshot.id, 300) },
  };
}

function timeRange(members: readonly AlertRecord[]): string {
  const times = members.map((m) => m.eventTime?.getTime()).filter((t): t is number => t !== undefined && !Number.isNaN(t));
  if (times.length === 0) return "at an unknown time";
  const first = new Date(Math.min(...times));
  const last = new Date(Math.max(...times));
  return first.getTime() === last.getTime() ? `at ${slackDate(first)}` : `from ${slackDate(first)} to ${slackDate(last)}`;
}

/** Chain: one actor, one resource, each step listed; grows in place as steps arrive. */
function buildChainMessage(snapshot: GroupSnapshot, members: readonly AlertRecord[], activity: AlertActivity, restorable?: string): GroupMessage {
  const rep = representative(snapshot, members) as AlertRecord;
  const severity = highest(members);
  const sev = SEVERITY_DISPLAY[severity];
  const root = snapshot.root;
  const rootText = root ? `${RESOURCE_LABEL[root.type] ?? "resource"} ${root.name}` : "a resource";
  // A header is plain text (Slack never parses mentions or links in it); control characters are still removed.
  const header = truncate(`${sev.emoji} ${sev.label} · Deletion chain: ${sanitizeInline(rootText)} (${members.length} steps)`, LIMITS.headerText);
  const who = code(principal(rep), 300);
  const account = rep.event.accountId ? ` in account ${code(rep.event.accountId, 40)}` : "";
  const rootCode = root ? `${RESOURCE_LABEL[root.type] ?? "resource"} ${code(root.name, 200)}` : "a resource";
  const summary =
    `${who} took apart ${rootCode}${account} in ${members.length} calls ${timeRange(members)}.\n` +
    `Each step below is also its own alert in \`/iam-audit events\`. Highest severity of the steps: *${sev.label}*.`;
  // Only whole lines count as shown: a step cut off by the section limit goes to the thread instead.
  const shown: AlertRecord[] = [];
  const lines: string[] = [];
  let used = 0;
  for (const m of members.slice(0, MAX_CHAIN_STEPS_SHOWN)) {
    const line = truncateEscaped(`${shown.length + 1}. ${eventLine(m)}`, 1000);
    if (used + line.length + 1 > LIMITS.sectionText - 80) break;
    lines.push(line);
    shown.push(m);
    used += line.length + 1;
  }
  let stepsText = lines.join("\n");
  const more = members.length - shown.length;
  if (more > 0) stepsText += `\n…and ${more} more steps in the thread`;

  const blocks: KnownBlock[] = [
    { type: "header", block_id: GroupBlockIds.header, text: { type: "plain_text", text: header, emoji: true } },
    section(GroupBlockIds.summary, summary),
    section(GroupBlockIds.steps, stepsText),
  ];
  // Whether the chain's single Restore can run (the whole resource, as of the chain's first step).
  if (restorable) blocks.push({ type: "context", block_id: GroupBlockIds.restore, elements: [mrkdwn(truncateEscaped(`*Restore:* ${prose(restorable, 300)}`, LIMITS.textObject))] });
  const act = activityLines(activity);
  if (act.length > 0) blocks.push({ type: "context", block_id: GroupBlockIds.activity, elements: act.map((l) => mrkdwn(truncateEscaped(l, LIMITS.textObject))) });
  const remediable = members.some((m) => isIamDeletionEventName(m.eventName) && getCatalogEntry(m.eventName).remediations.length > 0);
  const actions = buttons(rep, activity, remediable);
  if (actions) blocks.push(actions);
  const text = truncate(
    `[${sev.label}] Deletion chain by ${principal(rep)}: ${members.map((m) => m.eventName).join(", ")} on ${rootText}`,
    LIMITS.messageText,
  );
  return { text: prose(text, LIMITS.messageText), blocks, metadata: metadataFor(snapshot, rep), shownIds: shown.map((m) => m.eventId) };
}

function countLines(counts: Map<string, number>, max: number, noun: string): string {
  const sorted = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1));
  const lines = sorted.slice(0, max).map(([k, n]) => `• ${code(k, 80)} × ${n}`);
  if (sorted.length > max) lines.push(`…and ${sorted.length - max} more ${noun}`);
  return lines.join("\n");
}

/** Digest: what a storm did, in counts; updated in place; each event in the thread. */
function buildDigestMessage(snapshot: GroupSnapshot, members: readonly AlertRecord[], activity: AlertActivity): GroupMessage {
  const rep = representative(snapshot, members) as AlertRecord;
  const severity = highest(members);
  const sev = SEVERITY_DISPLAY[severity];
  const ops = new Map<string, number>();
  const types = new Map<string, number>();
  const actors = new Map<string, number>();
  for (const m of members) {
    ops.set(m.eventName, (ops.get(m.eventName) ?? 0) + 1);
    const r = m.event.resources[0];
    const type = r ? r.label || r.kind : "no resource named";
    types.set(type, (types.get(type) ?? 0) + 1);
    const who = principal(m);
    actors.set(who, (actors.get(who) ?? 0) + 1);
  }
  const byWhom = snapshot.actor !== null ? "one actor" : `${actors.size} actor${actors.size === 1 ? "" : "s"}`;
  const header = truncate(`${sev.emoji} ${sev.label} · Deletion storm: ${members.length} IAM deletions by ${byWhom}`, LIMITS.headerText);
  const failed = members.filter((m) => m.outcome !== "success").length;
  const summary =
    `*${members.length}* deletions ${timeRange(members)}` +
    (failed > 0 ? ` (${failed} denied or failed)` : "") +
    `. Highest severity: *${sev.label}*.\nEvery event is listed in this thread and in \`/iam-audit events\`; this message keeps counting as more arrive.`;
  const counts =
    `*By operation*\n${countLines(ops, 15, "operations")}\n\n*By resource type*\n${countLines(types, 10, "types")}\n\n` +
    `*Actors*\n${countLines(actors, 8, "actors")}`;
  const blocks: KnownBlock[] = [
    { type: "header", block_id: GroupBlockIds.header, text: { type: "plain_text", text: header, emoji: true } },
    section(GroupBlockIds.summary, summary),
    section(GroupBlockIds.counts, counts),
  ];
  const act = activityLines(activity);
  if (act.length > 0) blocks.push({ type: "context", block_id: GroupBlockIds.activity, elements: act.map((l) => mrkdwn(truncateEscaped(l, LIMITS.textObject))) });
  // Contain-actor fits every deletion; Remediate offers it for the storm's actors.
  const actions = buttons(rep, activity, true);
  if (actions) blocks.push(actions);
  const opsText = [...ops.entries()].sort((a, b) => b[1] - a[1]).slice(0, 4).map(([k, n]) => `${k} ×${n}`).join(", ");
  const text = `[${sev.label}] Deletion storm: ${members.length} IAM deletions by ${snapshot.actor ?? `${actors.size} actors`} (${opsText})`;
  return { text: prose(text, LIMITS.messageText), blocks, metadata: metadataFor(snapshot, rep), shownIds: [] };
}

/**
 * The rules its members matched, and the user groups those rules mention. An alert posted alone carries its
 * rule's mention; one folded into a chain or digest must still page whom the rule names.
 */
function ruleBlock(members: readonly AlertRecord[]): KnownBlock | null {
  const names = [...new Set(members.map((m) => m.ruleName).filter((n): n is string => !!n))];
  // Mention ids were validated as user group ids (S…) when the rules file was loaded; checked again here.
  const groups = [...new Set(members.map((m) => m.mentionGroup).filter((g): g is string => !!g && /^S[A-Z0-9]+$/.test(g)))];
  if (names.length === 0) return null;
  const shown = names.slice(0, 5).map((n) => code(n, 80)).join(", ") + (names.length > 5 ? ` and ${names.length - 5} more` : "");
  const cc = groups.slice(0, 10).map((g) => ` · <!subteam^${g}>`).join("");
  return { type: "context", block_id: GroupBlockIds.rule, elements: [mrkdwn(truncateEscaped(`Rule${names.length === 1 ? "" : "s"}: ${shown}${cc}`, LIMITS.textObject))] };
}

export function buildGroupMessage(snapshot: GroupSnapshot, members: readonly AlertRecord[], activity: AlertActivity, restorable?: string): GroupMessage {
  const msg = snapshot.kind === "chain" ? buildChainMessage(snapshot, members, activity, restorable) : buildDigestMessage(snapshot, members, activity);
  const rule = ruleBlock(members);
  if (rule) {
    const at = msg.blocks.findIndex((b) => b.type === "actions");
    msg.blocks.splice(at < 0 ? msg.blocks.length : at, 0, rule);
  }
  // Bounded inputs keep this far below the budget; if not, drop the list rather than be refused.
  if (blocksCharCount(msg.blocks) > LIMITS.totalBlockChars) {
    msg.blocks = msg.blocks.filter((b) => b.block_id !== GroupBlockIds.steps && b.block_id !== GroupBlockIds.counts);
    msg.shownIds = [];
  }
  return msg;
}

/**
 * Thread replies listing events, packed in order: each reply stays within the message budget and block
 * count, each section within its text limit. Returns the ids in each chunk and its blocks.
 */
export function buildEventReplies(events: readonly AlertRecord[], maxPerReply = 40): { ids: string[]; text: string; blocks: KnownBlock[] }[] {
  const out: { ids: string[]; text: string; blocks: KnownBlock[] }[] = [];
  let ids: string[] = [];
  let chunkEvents: AlertRecord[] = [];
  let sections: string[] = [];
  let current = "";
  let total = 0;
  const flush = (): void => {
    if (current !== "") sections.push(current);
    if (ids.length > 0) {
      const names = new Map<string, number>();
      for (const e of chunkEvents) names.set(e.eventName, (names.get(e.eventName) ?? 0) + 1);
      const summary = [...names.entries()].map(([k, v]) => `${k} ×${v}`).join(", ");
      out.push({
        ids,
        text: prose(`${ids.length} events: ${summary}`, LIMITS.messageText),
        blocks: sections.map((t) => ({ type: "section", text: mrkdwn(t) })),
      });
    }
    ids = [];
    chunkEvents = [];
    sections = [];
    current = "";
    total = 0;
  };
  for (const e of events) {
    const line = truncateEscaped(eventLine(e), 900);
    const budgetLeft = LIMITS.totalBlockChars - 500 - total;
    if (ids.length >= maxPerReply || line.length + 1 > budgetLeft || (sections.length >= LIMITS.messageBlocks - 1 && current.length + line.length + 1 > LIMITS.sectionText)) {
      flush();
    }
    if (current.length + line.length + 1 > LIMITS.sectionText) {
      sections.push(current);
      current = "";
    }
    current = current === "" ? line : `${current}\n${line}`;
    total += line.length + 1;
    ids.push(e.eventId);
    chunkEvents.push(e);
  }
  flush();
  return out;
}
