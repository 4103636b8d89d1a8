// The alert message for one IAM deletion-type CloudTrail event: a pure Block Kit builder.
//
// Safety rules: every value that comes from CloudTrail is escaped (and made single-line) before it is
// truncated, untrusted values are shown as inline code, and the only `<url|label>` link is one built here
// from a validated region and an encoded event id. Limits from the Slack Block Kit reference are
// enforced per item, and the whole message is rebuilt with tighter caps until it fits the character budget.
import type { ActionsBlock, Button, ContextBlock, HeaderBlock, KnownBlock, MessageMetadata, SectionBlock } from "@slack/types";
import type { AlertActivity, AlertInput, RemediationOutcomeView } from "../../alerts.js";
import type { AttackTechnique } from "../../catalog/attack.js";
import type { CatalogEntry } from "../../catalog/types.js";
import type { Actor, ClientKind, IamEvent, Severity } from "../../domain.js";
import type { Outcome } from "../../detect/types.js";
import { consoleOrigin } from "../../aws/console.js";
import { ActionIds, AlertBlockIds, alertMetadata } from "../action-ids.js";
import { code, prose, sanitizeInline, slackDate, truncate, truncateEscaped, userMention } from "../mrkdwn.js";
import { blocksCharCount, LIMITS } from "./limits.js";

export interface AlertMessage {
  /** Notification fallback (Slack renders it as mrkdwn, so it is escaped too). At most 3000 characters. */
  text: string;
  blocks: KnownBlock[];
  /** Message metadata carrying the CloudTrail event id, for chat.postMessage / chat.update. */
  metadata: MessageMetadata;
}

/** Block ids of the alert message (stable across rebuilds of the same alert); defined with every other id. */
export { AlertBlockIds };

export const SEVERITY_DISPLAY: Record<Severity, { emoji: string; label: string }> = {
  critical: { emoji: "🔴", label: "CRITICAL" },
  high: { emoji: "🟠", label: "HIGH" },
  medium: { emoji: "🟡", label: "MEDIUM" },
  low: { emoji: "🔵", label: "LOW" },
};

const CLIENT_LABEL: Partial<Record<ClientKind, string>> = {
  console: "AWS Management Console",
  cli: "AWS CLI",
  sdk: "AWS SDK",
  terraform: "Terraform",
  cloudformation: "CloudFormation",
  "aws-service": "AWS service",
  unknown: "Unknown client",
};

const OUTCOME_PREFIX: Record<Outcome, string> = {
  success: "",
  denied: "⛔ Denied attempt · ",
  failed: "⚠️ Failed attempt · ",
};

/** A plausible AWS region name (us-east-1, us-gov-west-1, ap-southeast-2 ...). */
const PLAUSIBLE_REGION = /^[a-z]{2}(-gov)?-[a-z]+-\d$/;
/** Event ids longer than this are not real CloudTrail ids; the link then opens the event list instead. */
const MAX_LINKED_EVENT_ID = 256;

/**
 * The CloudTrail console URL of an event. The region falls back to us-east-1 (where IAM events are
 * recorded) when the given one is not a plausible region name. Safe inside `<url|label>`: the region is
 * validated and the event id percent-encoded, so neither can contain `|`, `<`, `>` or `&`.
 */
export function cloudTrailEventUrl(awsRegion: string, eventId: string): string {
  const region = PLAUSIBLE_REGION.test(awsRegion) ? awsRegion : "us-east-1";
  const base = `${consoleOrigin(region)}/cloudtrailv2/home?region=${region}#/events`;
  if (eventId === "" || eventId.length > MAX_LINKED_EVENT_ID) return base;
  return `${base}/${encodeURIComponent(eventId)}`;
}

/** Per-item caps for variable-length content; scaled down when the message would exceed the budget. */
interface Caps {
  arn: number;
  name: number;
  userAgent: number;
  resourceValue: number;
  resourcesBudget: number;
  errorMessage: number;
  meaning: number;
  risk: number;
  whyBudget: number;
  reason: number;
  remediationSummary: number;
  maxRemediations: number;
  eventIdShown: number;
  parseError: number;
}

const BASE_CAPS: Caps = {
  arn: 600,
  name: 130,
  userAgent: 600,
  resourceValue: 400,
  resourcesBudget: 2900,
  errorMessage: 600,
  meaning: 800,
  risk: 400,
  whyBudget: 2900,
  reason: 300,
  remediationSummary: 300,
  maxRemediations: 7,
  eventIdShown: 100,
  parseError: 200,
};

const MIN_CAPS: Caps = {
  arn: 80,
  name: 40,
  userAgent: 60,
  resourceValue: 60,
  resourcesBudget: 300,
  errorMessage: 80,
  meaning: 150,
  risk: 80,
  whyBudget: 500,
  reason: 80,
  remediationSummary: 60,
  maxRemediations: 2,
  eventIdShown: 40,
  parseError: 60,
};

const SCALES = [1, 0.6, 0.4, 0.25, 0.1, 0];

function capsFor(scale: number): Caps {
  const out = { ...BASE_CAPS };
  for (const k of Object.keys(out) as (keyof Caps)[]) {
    out[k] = Math.max(MIN_CAPS[k], Math.floor(BASE_CAPS[k] * scale));
  }
  return out;
}

/**
 * Joins `lines` (already safe mrkdwn) under `budget` characters, newline-separated, stopping before the line
 * that would exceed it and ending with an "…and N more" line for what was left out.
 */
function joinWithinBudget(lines: readonly string[], budget: number, noun: string): string {
  const kept: string[] = [];
  let used = 0;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? "";
    const left = lines.length - i - 1;
    // Reserve room for the "more" line unless this is the last one.
    const reserve = left > 0 ? 40 + noun.length : 0;
    if (used + line.length + 1 + reserve > budget) {
      kept.push(`…and ${lines.length - i} more ${noun} not shown`);
      return kept.join("\n");
    }
    kept.push(line);
    used += line.length + 1;
  }
  return kept.join("\n");
}

/** An ATT&CK technique id as plain text: the alert links only to the CloudTrail console, nothing else. */
function attackId(t: AttackTechnique): string {
  return code(t.id, 20);
}

function mrkdwn(text: string): { type: "mrkdwn"; text: string } {
  return { type: "mrkdwn", text };
}

function plain(text: string): { type: "plain_text"; text: string; emoji: true } {
  return { type: "plain_text", text, emoji: true };
}

function section(blockId: string, text: string): SectionBlock {
  return { type: "section", block_id: blockId, text: mrkdwn(truncateEscaped(text, LIMITS.sectionText)) };
}

function whenText(d: Date | null): string {
  return d === null || Number.isNaN(d.getTime()) ? "unknown time" : slackDate(d);
}

function mfaText(v: boolean | null): string {
  return v === true ? "yes" : v === false ? "no" : "unknown";
}

function outcomeText(input: AlertInput): string {
  const ev = input.event;
  switch (input.outcome) {
    case "success":
      return "Succeeded";
    case "denied":
      return `Denied: ${prose(ev.errorCode ?? "AccessDenied", 100)}`;
    case "failed":
      return `Failed: ${prose(ev.errorCode ?? "unknown error", 100)}`;
  }
}

function headerText(input: AlertInput, entry: CatalogEntry): string {
  const sev = SEVERITY_DISPLAY[input.severity];
  const title =
    sanitizeInline(entry.title.slice(0, 200)).trim() || sanitizeInline(input.event.eventName.slice(0, 200)) || "IAM deletion";
  return truncate(`${OUTCOME_PREFIX[input.outcome]}${sev.emoji} ${sev.label} · ${title}`, LIMITS.headerText);
}

function summaryText(input: AlertInput, caps: Caps): string {
  const ev = input.event;
  const name = code(ev.eventName, 120);
  const lines: string[] = [];
  switch (input.outcome) {
    case "success":
      lines.push(`${name} was called and *succeeded*.`);
      break;
    case "denied":
      lines.push(
        `⛔ *Denied attempt:* ${name} was called but AWS denied it (${prose(ev.errorCode ?? "AccessDenied", 100)}). ` +
          "Nothing was changed, but someone tried.",
      );
      break;
    case "failed":
      lines.push(
        `⚠️ *Failed attempt:* ${name} was called but failed (${prose(ev.errorCode ?? "unknown error", 100)}), ` +
          "so the change did not take effect.",
      );
      break;
  }
  if (ev.errorMessage !== undefined && ev.errorMessage !== "") {
    lines.push(`Error message: ${code(ev.errorMessage, caps.errorMessage)}`);
  }
  return lines.join("\n");
}

function factsFields(input: AlertInput): { type: "mrkdwn"; text: string }[] {
  const ev = input.event;
  const field = (label: string, value: string) => mrkdwn(truncateEscaped(`*${label}*\n${value}`, LIMITS.sectionFieldText));
  return [
    field("Event", code(ev.eventName, 120)),
    field("Outcome", outcomeText(input)),
    field("Account", `${input.accountName ? `*${prose(input.accountName, 64)}* ` : ""}${ev.accountId ? code(ev.accountId, 64) : "_unknown_"}`),
    field("Region", ev.awsRegion ? code(ev.awsRegion, 40) : "_unknown_"),
    field("When", whenText(ev.eventTime)),
    field("Source IP", ev.sourceIp ? code(ev.sourceIp, 100) : "_not recorded_"),
    field("Client", CLIENT_LABEL[ev.client] ?? prose(ev.client, 40)),
    field("MFA used", mfaText(ev.actor.mfaAuthenticated)),
  ];
}

function principalText(actor: Actor, caps: Caps): string {
  if (actor.arn) return code(actor.arn, caps.arn);
  if (actor.principalId) return `${code(actor.principalId, caps.name)} (principal id; no ARN recorded)`;
  if (actor.invokedBy) return `${code(actor.invokedBy, caps.name)} (AWS service)`;
  return "_not recorded_";
}

function whoText(ev: IamEvent, caps: Caps): string {
  const a = ev.actor;
  const lines = ["*Who*", `Principal: ${principalText(a, caps)}`];
  const isRoot = a.type === "Root";
  lines.push(`Identity type: ${code(a.type || "Unknown", 60)}${isRoot ? " ⚠️ *root user*" : ""}`);
  if (a.roleName || a.roleArn) {
    const parts: string[] = [];
    if (a.roleName) parts.push(code(a.roleName, caps.name));
    if (a.roleArn) parts.push(a.roleName ? `(${code(a.roleArn, caps.arn)})` : code(a.roleArn, caps.arn));
    lines.push(`Role: ${parts.join(" ")}`);
  }
  if (a.sessionName) lines.push(`Session name: ${code(a.sessionName, caps.name)}`);
  if (a.userName) lines.push(`${isRoot ? "Account alias" : "User name"}: ${code(a.userName, caps.name)}`);
  if (a.accessKeyId) lines.push(`Access key: ${code(a.accessKeyId, 40)}`);
  if (a.invokedBy && a.arn) lines.push(`Invoked by: ${code(a.invokedBy, caps.name)}`);
  lines.push(`User agent: ${ev.userAgent ? code(ev.userAgent, caps.userAgent) : "_not recorded_"}`);
  return lines.join("\n");
}

function whatText(ev: IamEvent, caps: Caps): string {
  const n = ev.resources.length;
  if (n === 0) {
    return "*What*\n_No resource names in the record_ (common when a call is denied before its parameters are logged).";
  }
  const head = `*What* — ${n} affected resource${n === 1 ? "" : "s"}`;
  const lines = ev.resources.map((r) => `• ${prose(r.label || r.kind || "Resource", 60)}: ${code(r.value, caps.resourceValue)}`);
  return `${head}\n${joinWithinBudget(lines, caps.resourcesBudget - head.length - 1, "resources")}`;
}

function whyText(input: AlertInput, entry: CatalogEntry, caps: Caps): string {
  const sev = SEVERITY_DISPLAY[input.severity];
  const head = ["*Why it matters*", prose(entry.meaning, caps.meaning)].join("\n");
  const tail = [`*Severity:* ${sev.emoji} ${sev.label} — ${prose(input.severityReason || entry.severityReason, caps.reason)}`];
  if (input.outcome === "success" && entry.recovery) tail.push(`*Recovery:* ${prose(entry.recovery, caps.meaning)}`);
  if (input.restorable) tail.push(`*Restore:* ${prose(input.restorable, 300)}`);
  const tailText = tail.join("\n");
  const risks = entry.risks.map((r) => `• ${prose(r, caps.risk)}`);
  const room = caps.whyBudget - head.length - tailText.length - 2;
  const parts = [head];
  if (risks.length > 0 && room > 60) parts.push(joinWithinBudget(risks, room, "risks"));
  parts.push(tailText);
  return parts.join("\n");
}

function activityElements(activity: AlertActivity, caps: Caps): { type: "mrkdwn"; text: string }[] {
  const lines: string[] = [];
  if (activity.acknowledged) {
    lines.push(`✅ Acknowledged by ${userMention(activity.acknowledged.by)} at ${whenText(activity.acknowledged.at)}`);
  }
  if (activity.escalated) {
    lines.push(`📣 Escalated by ${userMention(activity.escalated.by)} at ${whenText(activity.escalated.at)}`);
  }
  const rems: readonly RemediationOutcomeView[] = activity.remediated ?? [];
  const room = LIMITS.contextElements - lines.length - 1;
  const shown = rems.slice(-Math.min(caps.maxRemediations, room));
  if (shown.length < rems.length) lines.push(`…and ${rems.length - shown.length} earlier remediations not shown`);
  for (const r of shown) {
    lines.push(
      `🛠️ Remediated: ${prose(r.summary, caps.remediationSummary)}, requested by ${userMention(r.requestedBy)}, ` +
        `approved by ${userMention(r.approvedBy)} at ${whenText(r.at)}`,
    );
  }
  return lines.map((l) => mrkdwn(truncateEscaped(l, LIMITS.textObject)));
}

function button(actionId: string, label: string, value: string, style?: "primary" | "danger"): Button {
  const b: Button = { type: "button", action_id: actionId, text: plain(truncate(label, LIMITS.buttonText)) };
  if (value !== "") b.value = value;
  if (style) b.style = style;
  return b;
}

function fallbackText(input: AlertInput): string {
  const ev = input.event;
  const a = ev.actor;
  const sev = SEVERITY_DISPLAY[input.severity];
  const prefix = input.outcome === "denied" ? "Denied attempt: " : input.outcome === "failed" ? "Failed attempt: " : "";
  const who = a.arn || a.principalId || a.userName || a.invokedBy || "unknown principal";
  const first = ev.resources[0];
  const more = ev.resources.length > 1 ? ` and ${ev.resources.length - 1} more` : "";
  const on = first ? ` on ${prose((first.label || first.kind).toLowerCase(), 40)} ${prose(first.value, 200)}${more}` : "";
  const account = ev.accountId ? `account ${prose(ev.accountId, 64)}` : "unknown account";
  const result =
    input.outcome === "success"
      ? "succeeded"
      : input.outcome === "denied"
        ? `denied: ${prose(ev.errorCode ?? "AccessDenied", 100)}`
        : `failed: ${prose(ev.errorCode ?? "unknown error", 100)}`;
  const text = `[${sev.label}] ${prefix}${prose(ev.eventName, 100)} by ${prose(who, 300)}${on} (${account}, ${result})`;
  return truncateEscaped(text, LIMITS.messageText);
}

/** Who did what to which resource, where and when: one line, with the API name and resource name kept. */
function headlineText(input: AlertInput, caps: Caps): string {
  const ev = input.event;
  const a = ev.actor;
  const who = a.arn ? code(a.arn, caps.arn) : principalText(a, caps);
  const root = a.type === "Root" ? " ⚠️ *root user*" : "";
  const first = ev.resources[0];
  const more = ev.resources.length > 1 ? ` and ${ev.resources.length - 1} more` : "";
  const on = first ? ` on ${prose((first.label || first.kind || "resource").toLowerCase(), 40)} ${code(first.value, caps.resourceValue)}${more}` : "";
  // With many accounts the display name is what responders know the account by (as in the details' facts).
  const name = input.accountName ? `*${prose(input.accountName, 64)}* ` : "";
  const account = ev.accountId ? ` in account ${name}${code(ev.accountId, 64)}` : name ? ` in account ${name.trim()}` : " in an unknown account";
  const region = ev.awsRegion ? ` (${code(ev.awsRegion, 40)})` : "";
  return `${who}${root} called ${code(ev.eventName, 120)}${on}${account}${region}, ${whenText(ev.eventTime)}`;
}

function outcomeLine(input: AlertInput, caps: Caps): string {
  const ev = input.event;
  const err = ev.errorMessage ? ` ${code(ev.errorMessage, Math.min(caps.errorMessage, 300))}` : "";
  switch (input.outcome) {
    case "success":
      return "*Outcome:* succeeded.";
    case "denied":
      return `⛔ *Denied attempt* (${prose(ev.errorCode ?? "AccessDenied", 100)}): nothing was changed, but someone tried.${err}`;
    case "failed":
      return `⚠️ *Failed attempt* (${prose(ev.errorCode ?? "unknown error", 100)}): the change did not take effect.${err}`;
  }
}

/** The compact top level: header, one line who/what/where/when, the outcome, why it matters, buttons. */
function build(input: AlertInput, entry: CatalogEntry, activity: AlertActivity, caps: Caps): KnownBlock[] {
  const ev = input.event;
  const blocks: KnownBlock[] = [];

  const header: HeaderBlock = { type: "header", block_id: AlertBlockIds.header, text: plain(headerText(input, entry)) };
  blocks.push(header);
  blocks.push(section(AlertBlockIds.summary, `${headlineText(input, caps)}\n${outcomeLine(input, caps)}`));
  blocks.push(section(AlertBlockIds.why, `*Why it matters:* ${prose(input.severityReason || entry.severityReason, caps.reason)}`));

  // One context block of facts; other features add their one-line facts here (≤ 10 elements in all).
  const url = cloudTrailEventUrl(ev.awsRegion, ev.eventId);
  const ip = ev.sourceIp ? `from ${code(ev.sourceIp, 100)}` : "source IP not recorded";
  const context: ContextBlock = {
    type: "context",
    block_id: AlertBlockIds.context,
    elements: [
      mrkdwn(`${CLIENT_LABEL[ev.client] ?? prose(ev.client, 40)} · MFA ${mfaText(ev.actor.mfaAuthenticated)} · ${ip}`),
      mrkdwn(`<${url}|Open in the CloudTrail console> · details, risks and recovery in the thread`),
    ],
  };
  const facts: string[] = [];
  if (input.restorable) facts.push(`*Restore:* ${prose(input.restorable, 300)}`);
  if (entry.attack.length > 0) facts.push(`ATT&amp;CK ${entry.attack.map(attackId).join(", ")}`);
  if (facts.length > 0) context.elements.push(mrkdwn(facts.join(" · ")));
  blocks.push(context);

  if (input.rule) {
    // The mention id was validated as a user group id (S…) when the rules file was loaded.
    const cc = input.rule.mention && /^S[A-Z0-9]+$/.test(input.rule.mention) ? ` · <!subteam^${input.rule.mention}>` : "";
    blocks.push({ type: "context", block_id: AlertBlockIds.rule, elements: [mrkdwn(`Rule: ${code(input.rule.name, 80)}${cc}`)] });
  }

  if (ev.parseError !== undefined) {
    blocks.push({
      type: "context",
      block_id: AlertBlockIds.parseError,
      elements: [
        mrkdwn(
          "⚠️ The full CloudTrail record could not be parsed; this alert was built from the event summary fields, " +
            `so some details may be missing. Parser said: ${code(ev.parseError || "(no detail)", caps.parseError)}`,
        ),
      ],
    });
  }

  const activityEls = activityElements(activity, caps);
  if (activityEls.length > 0) blocks.push({ type: "context", block_id: AlertBlockIds.activity, elements: activityEls });

  const value = truncate(ev.eventId, LIMITS.buttonValue);
  const buttons: Button[] = [];
  if (!activity.acknowledged) buttons.push(button(ActionIds.acknowledge, "Acknowledge", value, "primary"));
  if (!activity.escalated) buttons.push(button(ActionIds.escalate, "Escalate", value));
  if (entry.remediations.length > 0) buttons.push(button(ActionIds.remediate, "Remediate", value, "danger"));
  if (buttons.length > 0) {
    const actions: ActionsBlock = { type: "actions", block_id: AlertBlockIds.actions, elements: buttons };
    blocks.push(actions);
  }
  return blocks;
}

/** The first thread reply: every fact about the event and the catalog's full text (risks, recovery). */
function buildDetailBlocks(input: AlertInput, entry: CatalogEntry, caps: Caps): KnownBlock[] {
  const ev = input.event;
  const blocks: KnownBlock[] = [];
  blocks.push(section(AlertBlockIds.detailsTitle, `*Details* of ${code(ev.eventName, 120)}`));
  blocks.push(section(AlertBlockIds.summary, summaryText(input, caps)));
  blocks.push({ type: "section", block_id: AlertBlockIds.facts, fields: factsFields(input) });
  blocks.push(section(AlertBlockIds.who, whoText(ev, caps)));
  blocks.push(section(AlertBlockIds.what, whatText(ev, caps)));
  blocks.push(section(AlertBlockIds.why, whyText(input, entry, caps)));
  const url = cloudTrailEventUrl(ev.awsRegion, ev.eventId);
  const idText = ev.eventId ? ` · Event ID ${code(ev.eventId, caps.eventIdShown)}` : "";
  const attack = entry.attack.length > 0 ? ` · MITRE ATT&amp;CK: ${entry.attack.map((t) => `${attackId(t)} ${prose(t.name, 80)}`).join("; ")}` : "";
  blocks.push({ type: "context", block_id: AlertBlockIds.links, elements: [mrkdwn(`<${url}|Open in the CloudTrail console>${idText}${attack}`)] });
  return blocks;
}

/**
 * The details reply for one alert (posted in its thread right after it). Pure; within the same limits as
 * the alert itself.
 */
export function buildAlertDetails(input: AlertInput, entry: CatalogEntry): { text: string; blocks: KnownBlock[] } {
  let blocks: KnownBlock[] = [];
  for (const scale of SCALES) {
    blocks = buildDetailBlocks(input, entry, capsFor(scale));
    if (blocksCharCount(blocks) <= LIMITS.totalBlockChars) break;
  }
  return { text: truncateEscaped(`Details: ${fallbackText(input)}`, LIMITS.messageText), blocks };
}

/**
 * Builds the Slack alert for one IAM deletion-type event. Pure: same input, same output.
 * `activity` drives the activity lines and hides Acknowledge/Escalate once done. The Remediate button is
 * shown only when the catalog entry lists remediations.
 */
export function buildAlertMessage(input: AlertInput, entry: CatalogEntry, activity: AlertActivity = {}): AlertMessage {
  let blocks: KnownBlock[] = [];
  for (const scale of SCALES) {
    blocks = build(input, entry, activity, capsFor(scale));
    if (blocksCharCount(blocks) <= LIMITS.totalBlockChars) break;
  }
  return {
    text: fallbackText(input),
    blocks,
    metadata: alertMetadata(truncate(input.event.eventId, LIMITS.buttonValue)),
  };
}
