// The App Home tab: open alerts (newest first) with the same Acknowledge / Escalate / Remediate buttons
// as the alert message (value = event id, so the alert listeners handle them and authorize on the
// server), alert counts of the last 7 days, and the findings of the last /iam-audit. Pure builder.
//
// The view stays within 100 blocks and the character budget of limits.ts: the fixed parts are built
// first, then open alerts are added while they fit, and the rest is counted in a "…N more" line.
import type { ActionsBlock, Button, HomeView, KnownBlock, SectionBlock } from "@slack/types";
import { getCatalogEntry } from "../../catalog/index.js";
import { isIamDeletionEventName, SEVERITIES, type Severity } from "../../domain.js";
import type { AlertRecord, StatusCounts } from "../../store/types.js";
import { ActionIds } from "../action-ids.js";
import { alertSummary } from "./workflow.js";
import { accountLabel, checkTitle, findingText, severityOf, statusCountsLine, totalOf } from "./audit.js";
import { SEVERITY_DISPLAY } from "./alert.js";
import { code, slackDate, truncate, truncateEscaped } from "../mrkdwn.js";
import { blocksCharCount, LIMITS } from "./limits.js";

export const HOME_MAX_ALERTS = 15;
/** Findings of the last audit listed on the Home tab. */
const HOME_MAX_FINDINGS = 8;
const SECTION_MAX = 2900;

export interface HomeInput {
  /** Open alerts, newest first (more than fit is fine: the rest is counted). */
  openAlerts: AlertRecord[];
  /** All open (unmuted) alerts, for the "…N more" line. */
  openTotal: number;
  counts7d: StatusCounts;
  /** As stored by saveAuditReport (read defensively: tests and older rows hand in partial shapes); null before the first audit. */
  lastAudit: { at: Date; report: unknown } | null;
  now: Date;
  maxAlerts?: number;
  /** Health problems (mrkdwn lines, already escaped), shown first: the bot says when it cannot see or post. */
  problems?: string[];
}

/** What the Home tab needs from a stored audit report, read defensively (the JSON is not trusted). */
export interface StoredAuditSummary {
  at: Date;
  findings: { id: string; check: string; severity: Severity; title: string; detail: string }[];
  errors: { check: string; api: string; errorName: string; message: string; missingPermission?: string }[];
  clean: boolean;
  /** The account audited, when the report names it (many accounts). */
  account?: { id: string | null; name: string };
}

const str = (v: unknown, max = 2000): string | undefined => (typeof v === "string" ? v.slice(0, max) : undefined);

export function decodeStoredReport(stored: { at: Date; report: unknown }): StoredAuditSummary | null {
  const r = stored.report;
  if (typeof r !== "object" || r === null || Array.isArray(r)) return null;
  const o = r as Record<string, unknown>;
  const findings: StoredAuditSummary["findings"] = [];
  for (const f of Array.isArray(o.findings) ? o.findings : []) {
    if (typeof f !== "object" || f === null) continue;
    const x = f as Record<string, unknown>;
    const severity = str(x.severity);
    const title = str(x.title, 500);
    if (!severity || !(SEVERITIES as readonly string[]).includes(severity) || !title) continue;
    findings.push({ id: str(x.id) ?? "", check: str(x.check, 100) ?? "", severity: severity as Severity, title, detail: str(x.detail) ?? "" });
  }
  const errors: StoredAuditSummary["errors"] = [];
  for (const e of Array.isArray(o.errors) ? o.errors : []) {
    if (typeof e !== "object" || e === null) continue;
    const x = e as Record<string, unknown>;
    const missing = str(x.missingPermission, 200);
    errors.push({
      check: str(x.check, 100) ?? "",
      api: str(x.api, 100) ?? "",
      errorName: str(x.errorName, 100) ?? "",
      message: str(x.message, 500) ?? "",
      ...(missing ? { missingPermission: missing } : {}),
    });
  }
  const generated = typeof o.generatedAt === "string" || o.generatedAt instanceof Date ? new Date(o.generatedAt) : null;
  const at = generated && !Number.isNaN(generated.getTime()) ? generated : stored.at;
  const name = str(o.accountName, 64);
  const account = name ? { account: { id: str(o.accountId, 12) ?? null, name } } : {};
  return { at, findings, errors, clean: findings.length === 0 && errors.length === 0, ...account };
}

function section(text: string): SectionBlock {
  return { type: "section", text: { type: "mrkdwn", text: truncateEscaped(text, SECTION_MAX) } };
}

function button(actionId: string, text: string, value: string, style?: "primary" | "danger"): Button {
  return { type: "button", action_id: actionId, text: { type: "plain_text", text, emoji: true }, value, ...(style ? { style } : {}) };
}

/** The section and buttons of one open alert (Remediate only when the catalog offers remediations). */
function homeAlertBlocks(alert: AlertRecord): KnownBlock[] {
  const sev = severityOf(alert.severity);
  const when = alert.eventTime ? slackDate(alert.eventTime) : `detected ${slackDate(alert.detectedAt)}`;
  const outcome = alert.outcome === "success" ? "" : alert.outcome === "denied" ? " · ⛔ denied attempt" : " · ⚠️ failed attempt";
  const text = `${sev.emoji} ${alertSummary(alert)}\n${when}${outcome}${alert.accountName ? ` · account ${code(alert.accountName, 64)}` : ""}`;
  const value = truncate(alert.eventId, LIMITS.buttonValue);
  const buttons: Button[] = [button(ActionIds.acknowledge, "Acknowledge", value, "primary"), button(ActionIds.escalate, "Escalate", value)];
  if (isIamDeletionEventName(alert.eventName) && getCatalogEntry(alert.eventName).remediations.length > 0) {
    buttons.push(button(ActionIds.remediate, "Remediate", value, "danger"));
  }
  const actions: ActionsBlock = { type: "actions", elements: buttons };
  return [section(text), actions];
}

function auditBlocks(lastAudit: HomeInput["lastAudit"]): KnownBlock[] {
  const blocks: KnownBlock[] = [section("*Last IAM audit*")];
  const summary = lastAudit ? decodeStoredReport(lastAudit) : null;
  if (!lastAudit || !summary) {
    blocks.push(section(lastAudit ? "The last audit report could not be read — run `/iam-audit` again." : "No audit yet — run `/iam-audit`."));
    return blocks;
  }
  const counts = SEVERITIES.map((s) => ({ s, n: summary.findings.filter((f) => f.severity === s).length }))
    .filter(({ n }) => n > 0)
    .map(({ s, n }) => `${SEVERITY_DISPLAY[s].emoji} ${n} ${s}`)
    .join(" · ");
  const head = summary.clean
    ? `✅ Clean at ${slackDate(summary.at)}: no findings.`
    : `Run ${slackDate(summary.at)}: *${summary.findings.length} finding${summary.findings.length === 1 ? "" : "s"}*${counts ? ` (${counts})` : ""}` +
      (summary.errors.length ? ` · ⚠️ ${summary.errors.length} check step${summary.errors.length === 1 ? "" : "s"} could not complete` : "");
  blocks.push(section(summary.account ? `${head}\nAccount: ${accountLabel(summary.account)}` : head));
  if (summary.findings.length > 0) {
    const top = summary.findings.slice(0, HOME_MAX_FINDINGS).map((f) => `${findingText(f, 200)}  _${checkTitle(f.check)}_`);
    // Keep the list within one section: drop findings from the end rather than cut one in half.
    while (top.length > 1 && top.join("\n").length > SECTION_MAX) top.pop();
    blocks.push(section(top.join("\n")));
    const more = summary.findings.length - top.length;
    blocks.push({
      type: "context",
      elements: [{ type: "mrkdwn", text: `${more > 0 ? `…${more} more not shown. ` : ""}Run \`/iam-audit\` for the full report with *Remediate* buttons.` }],
    });
  }
  return blocks;
}

export function buildHomeView(input: HomeInput): HomeView {
  const maxAlerts = input.maxAlerts ?? HOME_MAX_ALERTS;
  const top: KnownBlock[] = [
    { type: "header", text: { type: "plain_text", text: "trailwatch — IAM deletion alerts", emoji: true } },
    {
      type: "context",
      elements: [{ type: "mrkdwn", text: `Updated ${slackDate(input.now)}. Buttons act as you: only responders and approvers can use them.` }],
    },
    ...(input.problems && input.problems.length > 0 ? [section(`*trailwatch has a problem*\n${input.problems.join("\n")}`.slice(0, SECTION_MAX)), { type: "divider" } as KnownBlock] : []),
    section(`*Alerts of the last 7 days by status* (${totalOf(input.counts7d)})\n${statusCountsLine(input.counts7d)}`),
    { type: "divider" },
    section(input.openTotal === 0 ? "*Open alerts*\nNo open alerts. 🎉" : `*Open alerts* (${input.openTotal}), newest first`),
  ];
  const bottom: KnownBlock[] = [{ type: "divider" }, ...auditBlocks(input.lastAudit)];

  const maxBlocks = LIMITS.modalBlocks;
  const budget = LIMITS.totalBlockChars - 300; // room for the "…N more" line
  let blocks = top.length + bottom.length + 1;
  let chars = blocksCharCount(top) + blocksCharCount(bottom);
  const alertBlocks: KnownBlock[] = [];
  let shown = 0;
  for (const alert of input.openAlerts.slice(0, maxAlerts)) {
    const b = homeAlertBlocks(alert);
    const c = blocksCharCount(b);
    if (blocks + b.length > maxBlocks || chars + c > budget) break;
    alertBlocks.push(...b);
    blocks += b.length;
    chars += c;
    shown++;
  }
  const more = Math.max(input.openTotal, input.openAlerts.length) - shown;
  if (more > 0) {
    alertBlocks.push({
      type: "context",
      elements: [{ type: "mrkdwn", text: `…${more} more open alert${more === 1 ? "" : "s"} not shown; see \`/iam-audit events 7d\` or the alert channel.` }],
    });
  }
  return { type: "home", blocks: [...top, ...alertBlocks, ...bottom] };
}

/**
 * The Home tab for someone who is neither a responder nor an approver (or whose group membership cannot be
 * verified now). Alerts and findings name roles, keys and trails an attacker would like to know about, so
 * this view says what the bot is and how to get access, and nothing about the account.
 */
export function homeRestrictedView(opts: { membershipUnverified?: boolean } = {}): HomeView {
  const blocks: KnownBlock[] = [
    { type: "header", text: { type: "plain_text", text: "trailwatch — IAM deletion alerts", emoji: true } },
    section(
      "trailwatch posts an alert when someone deletes or detaches something in AWS IAM, and runs IAM audits.\n" +
        "Open alerts and audit findings are shown here only to responders and approvers. " +
        "If you need them, ask the person who runs trailwatch to add you to `RESPONDERS` or `APPROVERS`.",
    ),
  ];
  if (opts.membershipUnverified) {
    blocks.push({
      type: "context",
      elements: [{ type: "mrkdwn", text: "⚠️ Slack cannot confirm user-group membership right now, so only people listed by user id see more. Try again in a few minutes." }],
    });
  }
  return { type: "home", blocks };
}

/** A minimal Home tab for when the store cannot be read. */
export function homeErrorView(message: string): HomeView {
  return {
    type: "home",
    blocks: [
      { type: "header", text: { type: "plain_text", text: "trailwatch — IAM deletion alerts", emoji: true } },
      section(`⚠️ The Home tab could not be loaded: ${code(message, 300)}. Try again in a moment.`),
    ],
  };
}
