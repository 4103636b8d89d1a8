// Pure Block Kit builders for `/iam-audit`: the posture report, recent alerts, one principal, the action
// log and help. Every answer is a list of messages, each within Slack's limits (50 blocks, the character
// budget of limits.ts); a response_url takes at most 5 posts, so anything beyond the 5th message is
// counted in a closing "…N more not shown" line instead of being dropped silently.
//
// Everything that comes from AWS, CloudTrail or the store (user names, trail names, finding texts, error
// messages, the user's own query) goes through the escaping helpers of mrkdwn.ts.
import type { Button, KnownBlock, SectionBlock } from "@slack/types";
import type { AlertStatus } from "../../alerts.js";
import { AUDIT_CHECKS, type AuditCheckError, type AuditCheckName, type AuditFinding, type AuditReport, type UserPosture } from "../../audit/types.js";
import { SEVERITIES, type Severity } from "../../domain.js";
import type { ActionRecord, AlertRecord, StatusCounts } from "../../store/types.js";
import { ActionIds } from "../action-ids.js";
import { AuditRemediateValue } from "../payloads.js";
import { code, inline, prose, sanitizeInline, slackDate, truncate, truncateEscaped, userMention } from "../mrkdwn.js";
import { SEVERITY_DISPLAY } from "./alert.js";
import { blocksCharCount, LIMITS } from "./limits.js";

export interface SlackMessage {
  text: string;
  blocks: KnownBlock[];
}

/** A response_url accepts 5 posts within 30 minutes. */
export const MAX_RESPONSES = 5;
/** Characters kept free in every message for the "part i of n" and "…N more" lines. */
const RESERVE_CHARS = 700;
/** Blocks kept free in every message for the same two lines. */
const RESERVE_BLOCKS = 2;
/** Longest section text we build (Slack: 3000). */
const SECTION_MAX = 2900;
/** blocksCharCount of a section's fixed strings: "section" + "mrkdwn". */
const SECTION_OVERHEAD = "section".length + "mrkdwn".length;

export const COMMAND = "/iam-audit";

// ------------------------------------------------------------------------------------------------ parsing

type Subcommand = "report" | "events" | "user" | "log" | "health" | "help" | "snapshot" | "accounts" | "unknown";

export interface ParsedCommand {
  sub: Subcommand;
  /** The first word as typed (for "Unknown subcommand"). */
  word: string;
  /** Everything after the subcommand, without the `public` flag. */
  args: string;
  /** The answer goes to the channel (response_type in_channel) instead of only to the caller. */
  public: boolean;
}

const SUBCOMMANDS: Record<string, Subcommand> = { report: "report", events: "events", user: "user", log: "log", health: "health", help: "help", snapshot: "snapshot", accounts: "accounts" };

/** Splits `/iam-audit` text into subcommand, arguments and the `public` flag (a word anywhere). */
export function parseCommand(text: string): ParsedCommand {
  const tokens = text.trim().split(/\s+/).filter((t) => t !== "");
  const publicCount = tokens.filter((t) => t.toLowerCase() === "public").length;
  const rest = tokens.filter((t) => t.toLowerCase() !== "public");
  const word = rest[0] ?? "";
  const sub: Subcommand = word === "" ? "report" : (SUBCOMMANDS[word.toLowerCase()] ?? "unknown");
  let args = rest.slice(1).join(" ");
  let isPublic = publicCount > 0;
  // `user public` asks about an IAM user named "public"; `user public public` does so in the channel.
  if (sub === "user" && args === "" && publicCount > 0) {
    args = "public";
    isPublic = publicCount > 1;
  }
  return { sub, word, args, public: isPublic };
}

export type TimeWindow = { ok: true; hours: number; label: string; phrase: string } | { ok: false; error: string };

/** Longest window `events` accepts. */
const MAX_WINDOW_DAYS = 365;

/** `24h`, `7d`, `30d`, `<N>h`, `<N>d`; empty means 24h. */
export function parseWindow(arg: string): TimeWindow {
  const a = arg.trim().toLowerCase();
  if (a === "") return { ok: true, hours: 24, label: "24h", phrase: "the last 24 hours" };
  const m = /^(\d{1,5})\s*([hd])$/.exec(a);
  const n = m ? Number(m[1]) : NaN;
  if (!m || !Number.isInteger(n) || n <= 0) {
    return { ok: false, error: `${code(arg, 40)} is not a time window: use 24h, 7d, 30d, or a number followed by h or d (e.g. 12h, 3d).` };
  }
  const hours = m[2] === "d" ? n * 24 : n;
  if (hours > MAX_WINDOW_DAYS * 24) {
    return { ok: false, error: `${code(arg, 40)} is too long: the longest window is ${MAX_WINDOW_DAYS}d.` };
  }
  const unit = m[2] === "d" ? (n === 1 ? "day" : "days") : n === 1 ? "hour" : "hours";
  return { ok: true, hours, label: `${n}${m[2]}`, phrase: n === 1 ? `the last ${unit}` : `the last ${n} ${unit}` };
}

// ------------------------------------------------------------------------------------------------ helpers

function mrkdwnSection(text: string): SectionBlock {
  return { type: "section", text: { type: "mrkdwn", text: truncateEscaped(text, SECTION_MAX) } };
}

function context(text: string): KnownBlock {
  return { type: "context", elements: [{ type: "mrkdwn", text: truncateEscaped(text, SECTION_MAX) }] };
}

/** plain_text is never parsed for mentions or links; control and bidi characters are still neutralised. */
function header(text: string): KnownBlock {
  return { type: "header", text: { type: "plain_text", text: truncate(sanitizeInline(text), LIMITS.headerText), emoji: true } };
}

export function severityOf(s: unknown): { emoji: string; label: string } {
  return typeof s === "string" && (SEVERITIES as readonly string[]).includes(s)
    ? SEVERITY_DISPLAY[s as Severity]
    : { emoji: "⚪", label: "UNKNOWN" };
}

const CHECK_TITLES: Record<AuditCheckName, string> = {
  "password-policy": "Password policy",
  "root-account": "Root user",
  "console-users-mfa": "Console users without MFA",
  "access-keys": "Access keys",
  cloudtrail: "CloudTrail trails",
};

export function checkTitle(check: string): string {
  return Object.hasOwn(CHECK_TITLES, check) ? CHECK_TITLES[check as AuditCheckName] : inline(check, 60);
}

const STATUS_DISPLAY: Record<AlertStatus | "muted", { emoji: string; label: string }> = {
  open: { emoji: "🆕", label: "open" },
  acknowledged: { emoji: "👀", label: "acknowledged" },
  escalated: { emoji: "📣", label: "escalated" },
  remediated: { emoji: "✅", label: "remediated" },
  muted: { emoji: "🔇", label: "muted" },
};

const STATUS_ORDER = ["open", "acknowledged", "escalated", "remediated", "muted"] as const;

/** "🆕 Open *2* · 👀 Acknowledged *1* · …" */
export function statusCountsLine(counts: StatusCounts): string {
  return STATUS_ORDER.map((s) => {
    const d = STATUS_DISPLAY[s];
    const label = d.label.charAt(0).toUpperCase() + d.label.slice(1);
    return `${d.emoji} ${label} *${counts[s]}*`;
  }).join(" · ");
}

export function totalOf(counts: StatusCounts): number {
  return STATUS_ORDER.reduce((n, s) => n + counts[s], 0);
}

const plural = (n: number, one: string, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;

/** A Slack permalink is shown only when it is a plain http(s) URL; `&` is escaped for mrkdwn. */
export function safeLink(url: string | null | undefined, label: string): string {
  if (!url || url.length > 1000 || !/^https?:\/\/[^\s<>|]+$/.test(url)) return "";
  return `<${url.replace(/&(?!amp;)/g, "&amp;")}|${label}>`;
}

/** What one failed AWS call means for the operator: the permission to add, when AWS named one. */
function awsErrorLine(e: Pick<AuditCheckError, "api" | "errorName" | "message" | "missingPermission">): string {
  if (e.missingPermission) {
    return `AWS denied ${code(e.missingPermission, 120)} — add it to the bot's policy`;
  }
  const msg = e.message ? `: ${prose(e.message, 300)}` : "";
  return `${code(e.api || "AWS call", 80)} failed with ${code(e.errorName || "Error", 80)}${msg}`;
}

/** An account as a reply names it: the display name (set by whoever administers it: escaped) and its id. */
export interface NamedAccount {
  id: string | null;
  name: string;
}

/** "*payments-prod* `444455556666`" */
export function accountLabel(a: NamedAccount): string {
  return `*${prose(a.name, 64)}* ${code(a.id ?? "id unknown", 20)}`;
}

// ------------------------------------------------------------------------------------------ pagination

/** Something to list: a finished block, or one line to be packed with its neighbours into sections. */
export type Piece =
  | { kind: "block"; block: KnownBlock; items: number; keepWithNext?: boolean }
  | { kind: "line"; text: string; items: number };

interface Entry {
  block?: KnownBlock;
  /** Open section text (line pieces); turned into a block when the page is finished. */
  lines?: string;
  items: number;
  keepWithNext: boolean;
}

export interface PaginateOptions {
  /** Fallback text (already safe mrkdwn); later parts get "(part i of n)". */
  title: string;
  /** Blocks at the top of the first message. */
  head: KnownBlock[];
  pieces: Piece[];
  /** What an item is, plural: "findings", "alerts", "actions". */
  noun: string;
  /** How to narrow the query, safe mrkdwn, e.g. "`/iam-audit events 24h`". */
  hint: string;
  /** Items that exist but were not even fetched (e.g. beyond a store query's limit). */
  notFetched?: number;
  maxMessages?: number;
  maxBlocks?: number;
  maxChars?: number;
}

function entryChars(e: Entry): number {
  return e.block ? blocksCharCount([e.block]) : SECTION_OVERHEAD + (e.lines ?? "").length;
}

/**
 * Lays pieces out over as few messages as the limits allow (at most `maxMessages`). Lines are packed
 * into sections of up to 2900 characters; a block marked keepWithNext (a group heading) moves with what
 * follows it. When the messages run out, the last one ends with "…N more <noun> not shown".
 */
export function paginate(o: PaginateOptions): SlackMessage[] {
  const maxMessages = Math.max(1, o.maxMessages ?? MAX_RESPONSES);
  const blockCap = (o.maxBlocks ?? LIMITS.messageBlocks) - RESERVE_BLOCKS;
  const charCap = (o.maxChars ?? LIMITS.totalBlockChars) - RESERVE_CHARS;
  const pages: Entry[][] = [];
  let page: Entry[] = [];
  let blocks = o.head.length;
  let chars = blocksCharCount(o.head);
  let firstNotShown = o.pieces.length;

  const nextPage = (): boolean => {
    if (pages.length + 1 >= maxMessages) return false;
    const carry: Entry[] = [];
    while (page.length > 1 && page[page.length - 1]?.keepWithNext) carry.unshift(page.pop() as Entry);
    pages.push(page);
    page = carry;
    blocks = carry.length;
    chars = carry.reduce((n, e) => n + entryChars(e), 0);
    return true;
  };

  for (let i = 0; i < o.pieces.length; i++) {
    const p = o.pieces[i] as Piece;
    if (p.kind === "line") {
      const text = truncateEscaped(p.text, SECTION_MAX);
      const last = page[page.length - 1];
      if (last?.lines !== undefined && last.lines.length + 1 + text.length <= SECTION_MAX && chars + 1 + text.length <= charCap) {
        last.lines += `\n${text}`;
        last.items += p.items;
        chars += 1 + text.length;
        continue;
      }
      const cost = SECTION_OVERHEAD + text.length;
      if ((blocks + 1 > blockCap || chars + cost > charCap) && page.length > 0 && !nextPage()) {
        firstNotShown = i;
        break;
      }
      page.push({ lines: text, items: p.items, keepWithNext: false });
      blocks += 1;
      chars += cost;
    } else {
      const cost = blocksCharCount([p.block]);
      if ((blocks + 1 > blockCap || chars + cost > charCap) && page.length > 0 && !nextPage()) {
        firstNotShown = i;
        break;
      }
      page.push({ block: p.block, items: p.items, keepWithNext: p.keepWithNext === true });
      blocks += 1;
      chars += cost;
    }
  }
  const cutShort = firstNotShown < o.pieces.length;
  // A heading whose content did not fit would stand alone at the end: drop it (it lists nothing).
  if (cutShort) while (page.length > 0 && page[page.length - 1]?.keepWithNext) page.pop();
  pages.push(page);

  const notShown = o.pieces.slice(firstNotShown).reduce((n, p) => n + p.items, 0) + Math.max(0, o.notFetched ?? 0);
  const n = pages.length;
  return pages.map((entries, k) => {
    const out: KnownBlock[] = [];
    if (k === 0) {
      out.push(...o.head);
      if (n > 1) out.push(context(`Part 1 of ${n}`));
    } else {
      out.push(context(`${truncateEscaped(o.title, 200)} — continued, part ${k + 1} of ${n}`));
    }
    for (const e of entries) out.push(e.block ?? mrkdwnSection(e.lines ?? ""));
    if (k === n - 1 && notShown > 0) {
      out.push(context(`…${notShown} more ${o.noun} not shown; narrow the query (e.g. ${o.hint}).`));
    }
    const text = truncateEscaped(n > 1 ? `${o.title} (part ${k + 1} of ${n})` : o.title, LIMITS.messageText);
    return { text, blocks: out };
  });
}

// ------------------------------------------------------------------------------------- remediate button

/**
 * The button value (≤ 2000 characters): the stored report and the finding, nothing the server would trust.
 * Null when the finding has no remediation or the report was not stored (then there is no button).
 */
export function encodeRemediateValue(reportId: number | null, f: AuditFinding): string | null {
  if (!f.remediation || reportId === null) return null;
  const s = AuditRemediateValue.safeEncode({ report: reportId, finding: f.id });
  return s.success && s.data.length <= LIMITS.buttonValue ? s.data : null;
}

// ------------------------------------------------------------------------------------------ the report

/** The text of one finding: severity, title (naming the user, key or trail), detail. */
export function findingText(f: Pick<AuditFinding, "severity" | "title" | "detail">, detailMax = 700): string {
  const sev = severityOf(f.severity);
  return `${sev.emoji} *${inline(f.title, 250)}* _(${sev.label.toLowerCase()})_\n${prose(f.detail, detailMax)}`;
}

function remediationKey(f: AuditFinding): string | null {
  if (!f.remediation) return null;
  const params = Object.entries(f.remediation.params).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return `${f.remediation.id}|${JSON.stringify(params)}`;
}

function remediateButton(value: string): Button {
  return {
    type: "button",
    action_id: ActionIds.auditRemediate,
    text: { type: "plain_text", text: "Remediate", emoji: true },
    value,
  };
}

/** Pieces for findings grouped by check (in the audit's check order), with Remediate buttons when stored. */
export function findingPieces(findings: AuditFinding[], reportId: number | null): Piece[] {
  const order: string[] = [...AUDIT_CHECKS];
  for (const f of findings) if (!order.includes(f.check)) order.push(f.check);
  const pieces: Piece[] = [];
  // One button per distinct fix: six weak password settings share one "enforce password policy".
  const firstWithFix = new Map<string, AuditFinding>();
  for (const check of order) {
    const group = findings.filter((f) => f.check === check);
    if (group.length === 0) continue;
    pieces.push({ kind: "block", block: mrkdwnSection(`*${checkTitle(check)}* — ${plural(group.length, "finding")}`), items: 0, keepWithNext: true });
    for (const f of group) {
      const key = remediationKey(f);
      const value = encodeRemediateValue(reportId, f);
      const first = key ? firstWithFix.get(key) : undefined;
      if (key && value && !first) {
        firstWithFix.set(key, f);
        const block: SectionBlock = { ...mrkdwnSection(findingText(f)), accessory: remediateButton(value) };
        pieces.push({ kind: "block", block, items: 1 });
      } else {
        const note = first ? `\n_Fixed by the same remediation as “${inline(first.title, 120)}”._` : "";
        pieces.push({ kind: "line", text: findingText(f) + note, items: 1 });
      }
    }
  }
  return pieces;
}

function errorPieces(errors: Pick<AuditCheckError, "check" | "api" | "errorName" | "message" | "missingPermission">[]): Piece[] {
  if (errors.length === 0) return [];
  const pieces: Piece[] = [
    { kind: "block", block: mrkdwnSection(`*⚠️ ${plural(errors.length, "check step")} could not complete* — results below may be incomplete`), items: 0, keepWithNext: true },
  ];
  for (const e of errors) pieces.push({ kind: "line", text: `• *${checkTitle(e.check)}*: ${awsErrorLine(e)}`, items: 1 });
  return pieces;
}

function severitySummary(findings: Pick<AuditFinding, "severity">[]): string {
  const parts: string[] = [];
  for (const s of SEVERITIES) {
    const n = findings.filter((f) => f.severity === s).length;
    if (n > 0) parts.push(`${SEVERITY_DISPLAY[s].emoji} ${n} ${s}`);
  }
  return parts.join(" · ");
}

/** The full posture report: summary, alert counts of the last 24 hours, errors, findings by check. */
export function auditReportMessages(
  report: AuditReport,
  counts24h: StatusCounts,
  opts: { maxMessages?: number; reportId?: number | null; account?: NamedAccount } = {},
): SlackMessage[] {
  const n = report.findings.length;
  const head: KnownBlock[] = [header("🛡️ IAM posture audit")];
  if (opts.account) head.push(mrkdwnSection(`*Account:* ${accountLabel(opts.account)}`));
  let summary: string;
  if (report.clean) {
    summary = `✅ *Clean*: no findings, and all ${plural(report.checksRun.length, "check")} ran (${report.checksRun.map(checkTitle).join(", ")}).`;
  } else if (n === 0) {
    summary = `No findings, but ${plural(report.errors.length, "check step")} could not complete (see below), so this account is not known to be clean.`;
  } else {
    summary = `*${plural(n, "finding")}*: ${severitySummary(report.findings)}${report.errors.length > 0 ? ` · ⚠️ ${plural(report.errors.length, "error")}` : ""}`;
  }
  head.push(mrkdwnSection(`${summary}\nChecked ${slackDate(report.generatedAt)}.`));
  head.push(mrkdwnSection(`*IAM deletion alerts of the last 24 hours by status*${opts.account ? " (every watched account)" : ""}\n${statusCountsLine(counts24h)}`));
  const title = report.clean ? "IAM audit: clean" : `IAM audit: ${plural(n, "finding")}${report.errors.length ? `, ${plural(report.errors.length, "error")}` : ""}`;
  return paginate({
    title,
    head,
    pieces: [...errorPieces(report.errors), ...findingPieces(report.findings, opts.reportId ?? null)],
    noun: "findings or errors",
    hint: "`/iam-audit user <name>` for one user",
    ...(opts.maxMessages ? { maxMessages: opts.maxMessages } : {}),
  });
}

// ------------------------------------------------------------------------------------------------ alerts

function actorOf(a: AlertRecord): string {
  const actor = a.event.actor;
  return actor.arn ?? actor.roleArn ?? actor.principalId ?? actor.invokedBy ?? actor.type;
}

/** One line for an alert: status, severity, event, who, on what, when, and a link to its message. */
export function alertLine(a: AlertRecord, permalink?: string | null): string {
  // A row from an older or newer version may carry a status this one does not know.
  const table: Partial<Record<string, { emoji: string; label: string }>> = STATUS_DISPLAY;
  const status = table[a.muted ? "muted" : a.status] ?? { emoji: "❔", label: inline(a.status, 30) };
  const sev = severityOf(a.severity);
  const res = a.event.resources[0];
  const on = res ? ` on ${inline(res.label, 40)} ${code(res.value, 100)}` : "";
  const outcome = a.outcome === "denied" ? " · ⛔ denied attempt" : a.outcome === "failed" ? " · ⚠️ failed attempt" : "";
  const when = a.eventTime ? slackDate(a.eventTime) : `detected ${slackDate(a.detectedAt)}`;
  const link = safeLink(permalink, "view alert");
  const where = link ? ` · ${link}` : a.muted ? "" : a.delivery === "pending" ? " · _not posted yet_" : "";
  let line = `${status.emoji} *${status.label}* · ${sev.emoji} ${sev.label.toLowerCase()} · ${a.accountName ? `${prose(a.accountName, 64)} · ` : ""}${code(a.eventName, 60)} by ${code(actorOf(a), 160)}${on} · ${when}${outcome}${where}`;
  if (a.muted) line += `\n      _muted: ${prose(a.mutedReason ?? "no reason recorded", 200)}_`;
  return line;
}

export interface EventsInput {
  alerts: AlertRecord[];
  /** Permalinks by event id (missing or null: no link). */
  permalinks: ReadonlyMap<string, string | null>;
  counts: StatusCounts;
  window: { label: string; phrase: string };
}

export function eventsMessages(input: EventsInput, opts: { maxMessages?: number } = {}): SlackMessage[] {
  const total = totalOf(input.counts);
  const head: KnownBlock[] = [header(`IAM deletion alerts — ${input.window.label}`)];
  head.push(
    mrkdwnSection(
      total === 0
        ? `No IAM deletion alerts in ${input.window.phrase}.`
        : `*${plural(total, "alert")}* in ${input.window.phrase}, newest first:\n${statusCountsLine(input.counts)}`,
    ),
  );
  const pieces: Piece[] = input.alerts.map((a) => ({ kind: "line", text: alertLine(a, input.permalinks.get(a.eventId)), items: 1 }));
  const narrower = input.window.label === "24h" ? "`/iam-audit events 6h`" : "`/iam-audit events 24h`";
  return paginate({
    title: `IAM deletion alerts in ${input.window.phrase}: ${total}`,
    head,
    pieces,
    noun: "alerts",
    hint: narrower,
    notFetched: Math.max(0, total - input.alerts.length),
    ...(opts.maxMessages ? { maxMessages: opts.maxMessages } : {}),
  });
}

// -------------------------------------------------------------------------------------------------- user

/** How many alerts `user` fetches. */
export const USER_ALERT_LIMIT = 200;

export interface UserInput {
  query: string;
  /** null when the lookup failed (see `postureError`). */
  posture: UserPosture | null;
  postureError?: Pick<AuditCheckError, "api" | "errorName" | "message" | "missingPermission">;
  alerts: AlertRecord[];
  permalinks: ReadonlyMap<string, string | null>;
  window: { label: string; phrase: string };
  now: Date;
  /** The stored copy of the posture's findings, named by their Remediate buttons; null: no buttons. */
  reportId?: number | null;
  /** The account the posture was read in, when the reply names it (many accounts). */
  account?: NamedAccount;
}

function day(d: Date | undefined): string {
  return d && !Number.isNaN(d.getTime()) ? slackDate(d) : "unknown";
}

function posturePieces(p: UserPosture, reportId: number | null): Piece[] {
  if (!p.exists) {
    const q = code(p.query, 200);
    const why =
      p.reason === "not-found"
        ? `No IAM user ${code(p.userName ?? p.query, 120)} in this account (${q}).`
        : p.reason === "not-a-user-arn"
          ? `${q} is not an IAM user ARN, so there are no user credentials to show (roles and assumed roles have none).`
          : `${q} is not a valid IAM user name.`;
    return [{ kind: "block", block: mrkdwnSection(`*Credentials*\n${why}`), items: 0 }];
  }
  const lines: string[] = [];
  lines.push(`*IAM user ${code(p.userName, 120)}*`);
  lines.push(`ARN ${code(p.arn, 300)} · path ${code(p.path, 100)}${p.created ? ` · created ${day(p.created)}` : ""}`);
  const cp = p.consolePassword;
  if (cp.enabled) {
    const parts = [cp.created ? `set ${day(cp.created)}` : "", cp.lastUsed ? `last used ${day(cp.lastUsed)}` : "never used to sign in", cp.resetRequired ? "reset required" : ""].filter(Boolean);
    lines.push(`🔑 *Console password*: yes (${parts.join(", ")})`);
  } else {
    lines.push(`🔑 *Console password*: none${cp.lastUsed ? ` (a password was last used ${day(cp.lastUsed)})` : ""}`);
  }
  if (p.mfaDevices.length === 0) {
    lines.push(`📱 *MFA*: none${cp.enabled ? " ⚠️" : ""}`);
  } else {
    const devs = p.mfaDevices.slice(0, 5).map((d) => `${code(d.serialNumber, 160)}${d.enabled ? ` (enabled ${day(d.enabled)})` : ""}`);
    lines.push(`📱 *MFA*: ${plural(p.mfaDevices.length, "device")}: ${devs.join(", ")}${p.mfaDevices.length > 5 ? ", …" : ""}`);
  }
  const pieces: Piece[] = [{ kind: "block", block: mrkdwnSection(lines.join("\n")), items: 0 }];
  pieces.push({ kind: "block", block: mrkdwnSection(`*Access keys* (${p.accessKeys.length})${p.accessKeys.length === 0 ? "\nNone." : ""}`), items: 0, keepWithNext: p.accessKeys.length > 0 });
  for (const k of p.accessKeys) {
    const age = k.ageDays !== undefined ? `${plural(k.ageDays, "day")} old (created ${day(k.created)})` : "creation date unknown";
    const used = k.lastUsedDate
      ? `last used ${day(k.lastUsedDate)}${k.lastUsedService ? ` by ${code(k.lastUsedService, 60)}` : ""}${k.lastUsedRegion ? ` in ${code(k.lastUsedRegion, 40)}` : ""}`
      : k.status === "Active"
        ? "never used"
        : "no recorded use";
    pieces.push({ kind: "line", text: `• ${code(k.accessKeyId, 40)} ${inline(k.status, 20)} · ${age} · ${used}`, items: 1 });
  }
  if (p.findings.length > 0) pieces.push(...findingPieces(p.findings, reportId));
  else pieces.push({ kind: "block", block: mrkdwnSection("✅ No audit findings for this user."), items: 0 });
  pieces.push(...errorPieces(p.errors));
  return pieces;
}

export function userMessages(input: UserInput, opts: { maxMessages?: number } = {}): SlackMessage[] {
  const head: KnownBlock[] = [header("IAM principal"), mrkdwnSection(`*Who:* ${code(input.query, 300)}${input.account ? ` · *Account:* ${accountLabel(input.account)}` : ""}`)];
  const pieces: Piece[] = [];
  if (input.posture) pieces.push(...posturePieces(input.posture, input.reportId ?? null));
  else if (input.postureError) {
    pieces.push({ kind: "block", block: mrkdwnSection(`*Credentials*\n⚠️ Could not look up the user: ${awsErrorLine(input.postureError)}.`), items: 0 });
  }
  const n = input.alerts.length;
  pieces.push({
    kind: "block",
    block: mrkdwnSection(
      n === 0
        ? `*IAM deletions by this principal in ${input.window.phrase}*\nNone recorded by trailwatch.`
        : `*IAM deletions by this principal in ${input.window.phrase}* (${n}${n >= USER_ALERT_LIMIT ? "+" : ""}), newest first`,
    ),
    items: 0,
    keepWithNext: n > 0,
  });
  for (const a of input.alerts) pieces.push({ kind: "line", text: alertLine(a, input.permalinks.get(a.eventId)), items: 1 });
  return paginate({
    title: `IAM audit for ${inline(input.query, 200)}`,
    head,
    pieces,
    noun: "entries",
    hint: "`/iam-audit events 24h`",
    ...(opts.maxMessages ? { maxMessages: opts.maxMessages } : {}),
  });
}

// --------------------------------------------------------------------------------------------------- log

const RESULT_EMOJI: Partial<Record<ActionRecord["result"], string>> = { ok: "✅", refused: "🚫", error: "❌", noop: "➖" };

function detailSummary(detail: Record<string, unknown>): string {
  const parts: string[] = [];
  for (const key of ["subcommand", "remediation", "reason", "summary", "note"]) {
    const v = detail[key];
    if (typeof v === "string" && v.trim() !== "") parts.push(`${key} ${prose(v, 160)}`);
  }
  return parts.length ? ` · ${parts.join(" · ")}` : "";
}

export function actionLine(a: ActionRecord): string {
  const target = [a.alertEventId ? `alert ${code(a.alertEventId, 60)}` : "", a.requestId ? `request ${code(a.requestId, 60)}` : ""].filter(Boolean).join(" · ");
  return `${slackDate(a.at)} · ${userMention(a.actor)} · *${inline(a.action, 60)}* · ${RESULT_EMOJI[a.result] ?? "❔"} ${inline(a.result, 20)}${target ? ` · ${target}` : ""}${detailSummary(a.detail)}`;
}

export function logMessages(actions: ActionRecord[], limit: number, opts: { maxMessages?: number } = {}): SlackMessage[] {
  const head: KnownBlock[] = [
    header("trailwatch action log"),
    mrkdwnSection(actions.length === 0 ? "No actions recorded yet." : `The last ${plural(actions.length, "action")} (at most ${limit}), newest first: who, when, what, result.`),
  ];
  return paginate({
    title: `trailwatch action log: ${plural(actions.length, "action")}`,
    head,
    pieces: actions.map((a) => ({ kind: "line", text: actionLine(a), items: 1 })),
    noun: "actions",
    hint: "`npm run export-actions` for the full record",
    ...(opts.maxMessages ? { maxMessages: opts.maxMessages } : {}),
  });
}

// -------------------------------------------------------------------------------------- help and errors

export const HELP_LINES: readonly string[] = [
  "`/iam-audit` or `/iam-audit report [account]` — IAM posture report: password policy, root user MFA and keys, console users without MFA, access keys, CloudTrail trails; plus the alerts of the last 24 hours by status. Findings with a fix have a *Remediate* button (a second approver must approve); it acts in the account audited. `account` is a watched account's name or 12-digit id (default: the bot's own).",
  "`/iam-audit events [24h|7d|30d|<N>h|<N>d]` — recent IAM deletion alerts with status, severity, actor, time and a link (default 24h).",
  "`/iam-audit user <name or ARN> [account]` — what this principal deleted recently, and their credentials: console password, MFA, access keys. Looked up in the ARN's account, else in the account named (default: the bot's own).",
  "`/iam-audit log` — the last 50 actions taken through trailwatch: who, when, what, result.",
  "`/iam-audit health` — whether trailwatch can see CloudTrail and post to Slack, with the details /healthz keeps private.",
  "`/iam-audit snapshot` — take an IAM snapshot now (restores rebuild deleted roles, users, policies… from the last snapshot before the deletion).",
  "`/iam-audit accounts` — the AWS accounts watched, when each was last polled, and whether it can be polled.",
  "`/iam-audit help` — this help.",
  "Add `public` to any of them to post the answer in the channel instead of only to you.",
];

export function helpMessage(): SlackMessage {
  return {
    text: "/iam-audit: IAM posture report, recent alerts, one principal, the action log",
    blocks: [mrkdwnSection(`*${COMMAND}* subcommands\n${HELP_LINES.map((l) => `• ${l}`).join("\n")}`)],
  };
}

export function unknownSubcommandMessage(word: string): SlackMessage {
  const help = helpMessage();
  return {
    text: `Unknown subcommand ${code(word, 60)}. ${help.text}`,
    blocks: [mrkdwnSection(`Unknown subcommand ${code(word, 60)}.`), ...help.blocks],
  };
}

/** A one-message answer (usage errors, refusals, failures). */
export function textMessage(text: string): SlackMessage {
  const t = truncateEscaped(text, SECTION_MAX);
  return { text: t, blocks: [mrkdwnSection(t)] };
}

/** Why an account argument (or an ARN's account) names no single watched account, and how to see them. */
export function accountProblemMessage(p: { problem: "unknown" | "ambiguous" | "not-watched"; query: string; matches: NamedAccount[] }, usageLine: string): SlackMessage {
  const list = "`/iam-audit accounts` lists the watched accounts.";
  if (p.problem === "not-watched") {
    return textMessage(`Account ${code(p.query, 20)} is not among the accounts trailwatch watches, so it cannot look there (and does not answer with another account's data). ${list}`);
  }
  if (p.problem === "ambiguous") {
    const names = p.matches.slice(0, 10).map(accountLabel).join(", ");
    return textMessage(`${code(p.query, 80)} names ${p.matches.length} watched accounts (${names}): give the 12-digit id instead. Usage: ${usageLine}.`);
  }
  return textMessage(`No watched account is named or numbered ${code(p.query, 80)}. Usage: ${usageLine}, with an account's display name or 12-digit id. ${list}`);
}

/** The bot cannot act in the account asked about (its role could not be assumed): nothing was read there. */
export function unreachableMessage(what: string, account: NamedAccount, e: Pick<AuditCheckError, "api" | "errorName" | "message" | "missingPermission">): SlackMessage {
  return textMessage(`⚠️ ${what} failed: trailwatch cannot act in account ${accountLabel(account)}: ${awsErrorLine(e)}. Nothing was read there. \`/iam-audit accounts\` shows each account's health.`);
}

/** An AWS or internal failure outside the per-check errors, with the permission the bot lacks where known. */
export function failureMessage(what: string, e: Pick<AuditCheckError, "api" | "errorName" | "message" | "missingPermission">): SlackMessage {
  return textMessage(`⚠️ ${what} failed: ${awsErrorLine(e)}. Nothing was changed.`);
}
