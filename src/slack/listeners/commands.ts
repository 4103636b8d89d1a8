// `/iam-audit`: the posture report, recent alerts, one principal, the action log and help.
//
// Slack wants an answer within 3 seconds, so the command is acknowledged at once ("Working on it…", or
// the refusal / help when that is all there is to say), and the result follows through the response URL,
// privately unless the text holds the word `public`. A response URL takes 5 posts: the builders split a
// large answer into at most 5 messages and count what did not fit. Every use is recorded.
//
// The command goes through the authorization middleware like every button (`iamAuditRule`): the role check may
// take up to 2 s before the command is acknowledged, with the refusal itself when it is known by then, else
// with "Working on it…" (or help, when that is all there is to say and the user is known to be allowed). The
// data comes from the audit query services (src/services/audit-queries.ts); this module parses and renders.
import type { App, RespondFn, SlashCommand } from "@slack/bolt";
import { healthReport } from "../../health/notices.js";
import { errorFields } from "../../log.js";
import { recordAction } from "../../services/actions.js";
import { manyAccounts, resolveAccount, resolveArnAccount, unreachable, type AccountTarget, type TargetResult } from "../../services/account-target.js";
import { describeAwsError, LOG_LIMIT, postureReport, principalActivity, recentActions, recentAlerts, snapshotNow, USER_WINDOW_DAYS, watchedAccounts } from "../../services/audit-queries.js";
import type { ActionRecord, AlertRecord } from "../../store/types.js";
import {
  accountProblemMessage,
  auditReportMessages,
  COMMAND,
  eventsMessages,
  failureMessage,
  helpMessage,
  logMessages,
  MAX_RESPONSES,
  parseCommand,
  parseWindow,
  textMessage,
  unknownSubcommandMessage,
  unreachableMessage,
  USER_ALERT_LIMIT,
  userMessages,
  type ParsedCommand,
  type SlackMessage,
} from "../blocks/audit.js";
import { accountsMessages, snapshotRunMessages } from "../blocks/accounts.js";
import { validateMessage } from "../blocks/limits.js";
import { code } from "../mrkdwn.js";
import { within } from "../../within.js";
import { authorize, type AccessRule, type CommandArgs } from "./authorize.js";
import type { ListenerDeps } from "./deps.js";

/** How long the role check may take before the command is acknowledged anyway (Slack allows 3 s). */
export const ROLE_WAIT_MS = 2000;
/** Permalinks looked up per answer, and the time allowed for them. */
const PERMALINK_MAX = 200;
const PERMALINK_DEADLINE_MS = 8000;
const PERMALINK_CALL_TIMEOUT_MS = 3000;
/** Set in Bolt's context when the acknowledgement carried the whole answer. */
const ANSWERED_IN_ACK = "iamAuditAnsweredInAck";

export const WORKING = "Working on it…";
export const NOT_ALLOWED = `You are not allowed to use ${COMMAND} (ask an admin to add you to RESPONDERS or APPROVERS). Nothing was run.`;

interface Answer {
  messages: SlackMessage[];
  result: ActionRecord["result"];
  detail: Record<string, unknown>;
}

/** What every record of a use says (bounded: the text is the user's). */
function useDetail(command: SlashCommand, parsed: ParsedCommand): Record<string, unknown> {
  return { subcommand: parsed.sub === "unknown" ? parsed.word.slice(0, 60) : parsed.sub, args: parsed.args.slice(0, 200), public: parsed.public, channel: command.channel_id };
}

const responseTypeOf = (parsed: ParsedCommand) => (parsed.public ? "in_channel" : "ephemeral");

/** The answers that need no work (help, an unknown subcommand): they can go in the acknowledgement. */
function immediateAnswer(parsed: ParsedCommand): Answer | null {
  switch (parsed.sub) {
    case "help":
      return helpAnswer();
    case "unknown":
      return unknownAnswer(parsed.word);
    default:
      return null;
  }
}

const helpAnswer = (): Answer => ({ messages: [helpMessage()], result: "ok", detail: {} });
const unknownAnswer = (word: string): Answer => ({ messages: [unknownSubcommandMessage(word)], result: "noop", detail: { reason: "unknown subcommand" } });

/** Responders use the command; a refusal is recorded as a use of it. */
export const iamAuditRule: AccessRule<CommandArgs> = {
  role: "responder",
  reason: "not a responder",
  text: NOT_ALLOWED,
  explainMembership: true,
  roleWaitMs: ROLE_WAIT_MS,
  subject: (_deps, { command }) =>
    Promise.resolve({ action: "iam-audit", alertEventId: null, requestId: null, detail: useDetail(command, parseCommand(command.text)), channel: command.channel_id }),
  // Only someone known to be allowed gets an answer in the ack; anyone else waits behind "Working on it…".
  ack: async ({ command, ack, context }, early) => {
    const parsed = parseCommand(command.text);
    const msg = early ? immediateAnswer(parsed)?.messages[0] : undefined;
    if (!msg) return ack({ response_type: "ephemeral", text: WORKING });
    context[ANSWERED_IN_ACK] = true;
    await ack({ response_type: responseTypeOf(parsed), text: msg.text, blocks: msg.blocks });
  },
};

export function registerCommandListeners(app: App, deps: ListenerDeps): void {
  app.command(COMMAND, authorize(deps, iamAuditRule), (args) => onIamAudit(deps, args));
}

/** `/iam-audit [subcommand] [public]` for an allowed user (after `iamAuditRule`): answers and records the use. */
export async function onIamAudit(deps: ListenerDeps, { command, respond, context }: CommandArgs): Promise<void> {
  const user = command.user_id;
  const parsed = parseCommand(command.text);
  const base = { actor: user, action: "iam-audit", alertEventId: null, requestId: null } as const;
  const detail = useDetail(command, parsed);

  const inAck = context[ANSWERED_IN_ACK] === true ? immediateAnswer(parsed) : null;
  if (inAck) {
    await recordAction(deps, { ...base, result: inAck.result, detail: { ...detail, ...inAck.detail } });
    return;
  }
  let answer: Answer;
  try {
    answer = await answerCommand(deps, parsed);
  } catch (err) {
    deps.logger.error({ user, subcommand: parsed.sub, ...errorFields(err) }, "/iam-audit failed");
    const info = describeAwsError("(internal)", err);
    answer = { messages: [failureMessage(`${COMMAND} ${parsed.sub === "report" ? "" : parsed.sub}`.trim(), info)], result: "error", detail: { reason: `${info.errorName}: ${info.message}`.slice(0, 300) } };
  }
  const delivered = await send(deps, respond, answer.messages, responseTypeOf(parsed));
  await recordAction(deps, { ...base, result: answer.result, detail: { ...detail, ...answer.detail, messages: answer.messages.length, delivered } });
}

/** Posts the messages through the response URL, in order; stops at the first failure. Returns how many went out. */
async function send(deps: ListenerDeps, respond: RespondFn, messages: SlackMessage[], responseType: "in_channel" | "ephemeral"): Promise<number> {
  let sent = 0;
  for (const original of messages.slice(0, MAX_RESPONSES)) {
    let m = original;
    const problems = validateMessage(m);
    if (problems.length > 0) {
      deps.logger.error({ problems: problems.slice(0, 10) }, "an /iam-audit message breaks Slack's limits; sending a placeholder");
      m = textMessage("⚠️ Part of this answer could not be displayed (it breaks Slack's message limits); the details are in the bot's log.");
    }
    try {
      await respond({ response_type: responseType, text: m.text, blocks: m.blocks });
      sent++;
    } catch (err) {
      deps.logger.error({ part: sent + 1, of: messages.length, ...errorFields(err) }, "could not post an /iam-audit answer to the response URL");
      break;
    }
  }
  return sent;
}

async function answerCommand(deps: ListenerDeps, parsed: ParsedCommand): Promise<Answer> {
  switch (parsed.sub) {
    case "report":
      return answerReport(deps, parsed);
    case "events":
      return answerEvents(deps, parsed);
    case "user":
      return answerUser(deps, parsed);
    case "log":
      return answerLog(deps);
    case "health":
      return answerHealth(deps);
    case "snapshot":
      return answerSnapshot(deps, parsed);
    case "accounts":
      return answerAccounts(deps);
    case "help":
      return helpAnswer();
    case "unknown":
      return unknownAnswer(parsed.word);
  }
}

function answerHealth(deps: ListenerDeps): Answer {
  if (!deps.health) return { messages: [textMessage("Health details are not available in this process.")], result: "noop", detail: {} };
  const report = healthReport(deps.health.model, deps.health.context);
  return { messages: [{ text: report.text, blocks: [{ type: "section", text: { type: "mrkdwn", text: report.lines.join("\n").slice(0, 2900) } }] }], result: "ok", detail: {} };
}

async function answerSnapshot(deps: ListenerDeps, parsed: ParsedCommand): Promise<Answer> {
  if (parsed.args !== "") return usage(`Usage: \`${COMMAND} snapshot\` (no arguments).`);
  const results = await snapshotNow(deps);
  if (!results) return { messages: [textMessage("IAM snapshots are not enabled in this process.")], result: "error", detail: { reason: "no snapshot service" } };
  const [only] = results;
  if (results.length !== 1 || !only) {
    const failed = results.filter((r) => !r.result.ok).length;
    const stored = results.filter((r) => r.result.ok && r.result.stored).length;
    return { messages: snapshotRunMessages(results), result: failed > 0 ? "error" : "ok", detail: { accounts: results.length, stored, failed } };
  }
  // One account watched: the reply it always had.
  const r = only.result;
  if (!r.ok) {
    return { messages: [textMessage(`⚠️ The IAM snapshot failed: ${r.error}. Restores keep using the previous snapshot.`)], result: "error", detail: { reason: r.error, calls: r.calls } };
  }
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KiB`;
  const what = r.stored
    ? `Stored IAM snapshot #${r.meta.id} (${kb(r.rawBytes)} of IAM, ${kb(r.meta.storedBytes)} compressed).`
    : `IAM is unchanged since snapshot #${r.meta.id} of ${r.meta.takenAt.toISOString()}: confirmed at ${r.meta.confirmedAt.toISOString()}, nothing new stored.`;
  const gaps = r.gaps.length > 0 ? `\n⚠️ Not in it (restores of these cannot use it): ${r.gaps.join("; ")}` : "";
  return {
    messages: [textMessage(`${what} ${r.calls} AWS calls in ${(r.ms / 1000).toFixed(1)} s.${gaps}`)],
    result: "ok",
    detail: { snapshotId: r.meta.id, stored: r.stored, calls: r.calls, gaps: r.gaps.length },
  };
}

const REPORT_USAGE = `\`${COMMAND} report [account]\``;
const USER_USAGE = `\`${COMMAND} user <name or ARN> [account]\``;

/** The reply when the account asked about is not one watched account. */
function accountProblem(p: Extract<TargetResult, { ok: false }>, usageLine: string): Answer {
  return { messages: [accountProblemMessage(p, usageLine)], result: "noop", detail: { reason: `account ${p.problem}`, account: p.query.slice(0, 80) } };
}

/** The reply when the bot cannot act in the chosen account (its role cannot be assumed); null when it can. */
async function cannotReach(deps: ListenerDeps, what: string, target: AccountTarget): Promise<Answer | null> {
  const e = await unreachable(deps, target);
  if (!e) return null;
  return { messages: [unreachableMessage(what, target, e)], result: "error", detail: { account: target.id, reason: e.missingPermission ? `missing ${e.missingPermission}` : e.errorName } };
}

async function answerReport(deps: ListenerDeps, parsed: ParsedCommand): Promise<Answer> {
  const chosen = await resolveAccount(deps, parsed.args);
  if (!chosen.ok) return accountProblem(chosen, REPORT_USAGE);
  const { target } = chosen;
  const blocked = await cannotReach(deps, `${COMMAND} report`, target);
  if (blocked) return blocked;
  // Remediate buttons name the stored copy (which records the account); without it the findings have no buttons.
  const { report, reportId, counts24h } = await postureReport(deps, target);
  // A single-account install keeps its reply as it was; with many accounts, or an account asked for, it is named.
  const named = manyAccounts(deps) || parsed.args !== "";
  return {
    messages: auditReportMessages(report, counts24h, { reportId, ...(named ? { account: target } : {}) }),
    result: "ok",
    detail: { findings: report.findings.length, errors: report.errors.length, clean: report.clean, ...(target.id ? { account: target.id } : {}) },
  };
}

async function answerEvents(deps: ListenerDeps, parsed: ParsedCommand): Promise<Answer> {
  const words = parsed.args.split(/\s+/).filter(Boolean);
  if (words.length > 1) return usage(`Usage: \`${COMMAND} events [24h|7d|30d|<N>h|<N>d]\` (one time window).`);
  const window = parseWindow(words[0] ?? "");
  if (!window.ok) return usage(window.error);
  const { counts, alerts } = await recentAlerts(deps, window.hours);
  const permalinks = await permalinksFor(deps, alerts);
  return {
    messages: eventsMessages({ alerts, permalinks, counts, window }),
    result: "ok",
    detail: { window: window.label, alerts: alerts.length },
  };
}

/**
 * The account `user` looks in: the ARN's (an ARN of an account not watched is refused, never looked up in the
 * own account), else the account named after the user, else none (the own account, as without many accounts).
 */
async function userAccount(deps: ListenerDeps, query: string, accountArg: string): Promise<{ target?: AccountTarget } | Answer> {
  const byArn = query.startsWith("arn:") ? await resolveArnAccount(deps, query) : null;
  if (byArn && !byArn.ok) return accountProblem(byArn, USER_USAGE);
  const byArg = accountArg !== "" ? await resolveAccount(deps, accountArg) : null;
  if (byArg && !byArg.ok) return accountProblem(byArg, USER_USAGE);
  if (byArn?.ok && byArg?.ok && byArn.target.id !== byArg.target.id) {
    return usage(`${code(query, 200)} belongs to account ${code(byArn.target.id ?? "?", 20)}, not to the account named (${code(accountArg, 80)}). Give the ARN alone, or a user name with the account: ${USER_USAGE}.`);
  }
  const target = byArg?.target ?? byArn?.target;
  return target ? { target } : {};
}

async function answerUser(deps: ListenerDeps, parsed: ParsedCommand): Promise<Answer> {
  // IAM user names and ARNs have no spaces: the first word is the user, the rest the account (names may have spaces).
  const [query = "", ...rest] = parsed.args.trim().split(/\s+/).filter(Boolean);
  if (query === "") return usage(`Usage: ${USER_USAGE}, e.g. \`${COMMAND} user alice\`.`);
  const where = await userAccount(deps, query, rest.join(" "));
  if ("messages" in where) return where;
  if (where.target) {
    const blocked = await cannotReach(deps, `${COMMAND} user`, where.target);
    if (blocked) return blocked;
  }
  const now = deps.now();
  const found = await principalActivity(deps, query, USER_ALERT_LIMIT, where.target);
  const named = manyAccounts(deps) || rest.length > 0 || where.target?.own === false;
  const permalinks = await permalinksFor(deps, found.alerts);
  return {
    messages: userMessages({
      reportId: found.reportId,
      query,
      posture: found.posture,
      ...(found.error ? { postureError: found.error } : {}),
      alerts: found.alerts,
      permalinks,
      window: { label: `${USER_WINDOW_DAYS}d`, phrase: `the last ${USER_WINDOW_DAYS} days` },
      now,
      ...(named ? { account: found.account } : {}),
    }),
    result: found.error ? "error" : "ok",
    detail: {
      alerts: found.alerts.length,
      found: found.posture?.exists ?? null,
      ...(found.account.id ? { account: found.account.id } : {}),
      ...(found.error ? { reason: found.error.missingPermission ? `missing ${found.error.missingPermission}` : found.error.errorName } : {}),
    },
  };
}

async function answerAccounts(deps: ListenerDeps): Promise<Answer> {
  const { statuses, source, snapshots } = await watchedAccounts(deps);
  return { messages: accountsMessages(statuses, source, deps.now(), snapshots), result: "ok", detail: { accounts: statuses.length } };
}

async function answerLog(deps: ListenerDeps): Promise<Answer> {
  const actions = await recentActions(deps);
  return { messages: logMessages(actions, LOG_LIMIT), result: "ok", detail: { actions: actions.length } };
}

function usage(text: string): Answer {
  return { messages: [textMessage(text)], result: "noop", detail: { reason: "usage" } };
}

/**
 * Links to the alert messages. One chat.getPermalink per channel is enough when the answer has the usual
 * `…/archives/<channel>/p<ts digits>` shape: the rest are derived from it. Otherwise one call per alert,
 * within a count and time budget; an alert without a link is still listed.
 */
async function permalinksFor(deps: ListenerDeps, alerts: AlertRecord[]): Promise<Map<string, string | null>> {
  const out = new Map<string, string | null>();
  const prefixes = new Map<string, string | null>();
  const deadline = Date.now() + PERMALINK_DEADLINE_MS;
  let failures = 0;
  for (const a of alerts.slice(0, PERMALINK_MAX)) {
    if (!a.channelId || !a.messageTs || !/^\d+\.\d+$/.test(a.messageTs)) continue;
    const digits = a.messageTs.replace(".", "");
    const prefix = prefixes.get(a.channelId);
    if (prefix) {
      out.set(a.eventId, `${prefix}${digits}`);
      continue;
    }
    if (Date.now() > deadline || failures >= 3) break;
    try {
      const res = await within(deps.client.chat.getPermalink({ channel: a.channelId, message_ts: a.messageTs }), PERMALINK_CALL_TIMEOUT_MS);
      if (res === undefined) throw new Error("chat.getPermalink timed out");
      const link = typeof res.permalink === "string" ? res.permalink : null;
      out.set(a.eventId, link);
      const suffix = `/archives/${a.channelId}/p${digits}`;
      if (link && prefix === undefined && link.endsWith(suffix)) prefixes.set(a.channelId, link.slice(0, link.length - digits.length));
    } catch (err) {
      failures++;
      out.set(a.eventId, null);
      deps.logger.warn({ eventId: a.eventId, ...errorFields(err) }, "could not get an alert permalink");
    }
  }
  return out;
}
