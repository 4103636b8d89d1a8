// The trailwatch command line:  npx trailwatch replay [options] <files or folders…>
// Replays CloudTrail log files through the bot's normalisation, detection, rules and grouping (chains and
// digests) and prints what it would alert on. Needs no Slack or AWS credentials, except with --post.
//
// Exit codes: 0 = at least one file was read (per-file problems are listed on standard error);
//             1 = nothing could be read (no files found, or every file unreadable);
//             2 = usage or configuration error (bad option, bad RULES_FILE, CHAIN_WINDOW, DIGEST_*, --post
//                 without Slack settings);
//             3 = --post could not deliver every alert to Slack (they stay in the outbox).
import { parseArgs } from "node:util";
import dotenv from "dotenv";
import { pino } from "pino";
import { WebClient } from "@slack/web-api";
import { ConfigError, readConfig, readGroupingConfig } from "../config.js";
import { SEVERITIES, isIamDeletionEventName, type IamDeletionEventName, type Severity } from "../domain.js";
import type { NoiseSettings } from "../detect/noise.js";
import { createLogger } from "../log.js";
import { replay, type ReplayAlert } from "../replay/index.js";
import { alertJson, alertLine, groupJson, groupLines, problemLine, summaryLines } from "../replay/format.js";
import { ReplayGrouper } from "../replay/grouping.js";
import { effectiveRules, formatProblem, loadRulesFile, RulesFileError, type RuleSet } from "../rules/index.js";
import { Delivery } from "../slack/delivery.js";
import { renderGroupMessage } from "../slack/group-message.js";
import { renderAlert, renderMinimal } from "../slack/render.js";
import { openConfiguredStore } from "../store/open.js";
import { copyCommand, DATABASE_USAGE, migrateCommand } from "./database.js";
import type { NewAlert } from "../store/types.js";
import { TrailwatchError } from "../errors.js";

const USAGE = `usage: trailwatch replay [options] <files or folders…>

Reads CloudTrail log files ({"Records":[…]} documents, JSON lines, .gz or not, S3 export folders) and prints
one line per alert trailwatch would raise (with the chain or digest it joins), then a summary.
CHAIN_WINDOW, DIGEST_THRESHOLD and DIGEST_WINDOW apply as in the bot, timed by the records' event times.

options:
  --format text|json   output format (json: one object per alert, one per chain or digest, then a summary)
  --since <time>       only events at or after this ISO time (e.g. 2026-11-01T00:00:00Z)
  --until <time>       only events before this ISO time
  --rules <file>       rules file to apply (default: RULES_FILE from the environment or .env)
  --show-suppressed    also print alerts that a rule suppresses
  --post               post the alerts to Slack through the outbox (needs the bot's Slack settings)
  -h, --help           this help

exit codes: 0 read at least one file; 1 nothing could be read; 2 usage or configuration error;
            3 --post could not deliver every alert`;

class UsageError extends TrailwatchError {
  constructor(message: string) {
    super("usage", message);
  }
}

function out(line: string): void {
  process.stdout.write(`${line}\n`);
}

function err(line: string): void {
  process.stderr.write(`${line}\n`);
}

function parseTimeOption(name: string, v: string | undefined): Date | undefined {
  if (v === undefined) return undefined;
  const d = new Date(v);
  if (!/^\d{4}-\d{2}-\d{2}/.test(v) || Number.isNaN(d.getTime())) throw new UsageError(`--${name} must be an ISO time such as 2026-11-01T00:00:00Z`);
  return d;
}

/** MUTE_* from the environment, read leniently (replay must not need the Slack settings). */
function noiseFromEnv(env: NodeJS.ProcessEnv): NoiseSettings {
  const list = (v: string | undefined) => (v ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "");
  const events = list(env.MUTE_EVENTS);
  const bad = events.filter((e) => !isIamDeletionEventName(e));
  if (bad.length > 0) throw new UsageError(`MUTE_EVENTS lists events that are not IAM deletion events: ${bad.join(", ")}`);
  const min = env.MIN_SEVERITY?.trim() || "low";
  if (!(SEVERITIES as readonly string[]).includes(min)) throw new UsageError(`MIN_SEVERITY must be one of ${SEVERITIES.join(", ")}`);
  return { muteEvents: events as IamDeletionEventName[], mutePrincipals: list(env.MUTE_PRINCIPALS), minSeverity: min as Severity };
}

function toNewAlert(a: ReplayAlert): NewAlert {
  return {
    eventId: a.event.eventId,
    eventName: a.event.eventName,
    severity: a.ruled.severity,
    severityReason: a.ruled.severityReason,
    outcome: a.decision.outcome,
    event: a.event,
    eventTime: a.event.eventTime,
    muted: a.ruled.suppressed,
    mutedReason: a.ruled.suppressedReason,
    ruleName: a.ruled.rule,
    routeChannel: a.ruled.route,
    mentionGroup: a.ruled.mention,
    detectedSeverity: a.ruled.severity !== a.ruled.detectedSeverity ? a.ruled.detectedSeverity : undefined,
  };
}

async function post(alerts: NewAlert[]): Promise<number> {
  let config;
  try {
    config = readConfig(process.env);
  } catch (e) {
    if (e instanceof ConfigError) {
      for (const p of e.problems) err(`trailwatch replay: --post needs the bot's configuration: ${p}`);
      return 2;
    }
    throw e;
  }
  const logger = createLogger(config.logLevel === "info" ? "warn" : config.logLevel, pino.destination(2));
  const store = await openConfiguredStore(config);
  try {
    let fresh = 0;
    const now = new Date();
    for (const a of alerts) if (await store.insertAlert(a, now)) fresh++;
    const client = new WebClient(config.slack.botToken, {
      ...(config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {}),
      retryConfig: { retries: 0 },
      rejectRateLimitedCalls: true,
      timeout: 15_000,
    });
    const delivery = new Delivery({
      store,
      client,
      channelId: config.alertChannelId,
      logger,
      now: () => new Date(),
      postIntervalMs: config.slack.postIntervalMs,
      render: async (alert) => renderAlert(alert, await store.listRemediationRequests(alert.eventId)),
      renderMinimal,
      // Chains and digests as the bot posts them (a replayed storm is one digest, not a post per event).
      // The events are all in the outbox at once, so the grouper judges them in one batch.
      grouping: {
        settings: { ...config.grouping, lateJoinMs: config.lookbackMinutes * 60_000 },
        render: (group, members) => renderGroupMessage(store, group, members),
        // Nothing else arrives: bring a digest's counts up to date at once rather than every few seconds.
        digestUpdateIntervalMs: 0,
      },
    });
    // Posts until the outbox is empty and groups are up to date; gives up after two minutes without progress
    // (Slack down, bad token).
    let lastProgress = Date.now();
    for (;;) {
      const n = await delivery.drainOnce();
      if (n > 0) lastProgress = Date.now();
      else if ((await store.pendingCount()) === 0 || Date.now() - lastProgress > 120_000) break;
      else await new Promise((r) => setTimeout(r, 500));
    }
    const left = await store.pendingCount();
    err(`trailwatch replay: --post: ${fresh} new alerts put in the outbox (${alerts.length - fresh} were already there), ${delivery.posted} posted${left > 0 ? `, ${left} still waiting (${delivery.lastError ?? "no answer from Slack"})` : ""}`);
    return left > 0 ? 3 : 0;
  } finally {
    await store.close();
  }
}

async function replayCommand(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      format: { type: "string", default: "text" },
      since: { type: "string" },
      until: { type: "string" },
      rules: { type: "string" },
      "show-suppressed": { type: "boolean", default: false },
      post: { type: "boolean", default: false },
      help: { type: "boolean", short: "h", default: false },
    },
  });
  if (values.help) {
    out(USAGE);
    return 0;
  }
  if (values.format !== "text" && values.format !== "json") throw new UsageError("--format must be text or json");
  if (positionals.length === 0) throw new UsageError("name at least one log file or folder");
  const since = parseTimeOption("since", values.since);
  const until = parseTimeOption("until", values.until);
  const rulesFile = values.rules ?? (process.env.RULES_FILE?.trim() || undefined);
  let rules: RuleSet;
  try {
    rules = effectiveRules(noiseFromEnv(process.env), rulesFile ? loadRulesFile(rulesFile) : [], rulesFile ?? "MUTE_* settings");
  } catch (e) {
    if (e instanceof RulesFileError) {
      for (const p of e.problems) err(`trailwatch replay: rules file ${formatProblem(p)}`);
      return 2;
    }
    throw e;
  }
  let grouper: ReplayGrouper;
  try {
    grouper = new ReplayGrouper(readGroupingConfig(process.env));
  } catch (e) {
    if (e instanceof ConfigError) {
      for (const p of e.problems) err(`trailwatch replay: ${p}`);
      return 2;
    }
    throw e;
  }
  const json = values.format === "json";
  const toPost: NewAlert[] = [];
  const summary = await replay(positionals, { rules, since, until, grouper }, {
    alert(a) {
      out(json ? JSON.stringify(alertJson(a)) : alertLine(a));
      if (values.post) toPost.push(toNewAlert(a));
    },
    suppressed(a) {
      if (values["show-suppressed"]) out(json ? JSON.stringify(alertJson(a)) : alertLine(a, { suppressed: true }));
      // Suppressed alerts are recorded too, as the bot records them: visible in /iam-audit events.
      if (values.post) toPost.push(toNewAlert(a));
    },
    problem(p) {
      err(problemLine(p));
    },
  });
  const groupCounts = grouper.counts();
  if (json) {
    for (const g of grouper.groups()) out(JSON.stringify(groupJson(g)));
    out(JSON.stringify({ type: "summary", ...summary, chains: groupCounts.chain, digests: groupCounts.digest }));
  } else {
    if (summary.alerts > 0 || summary.suppressed > 0) out("");
    for (const l of summaryLines(summary)) out(l);
    for (const l of groupLines(grouper.groups(), groupCounts, grouper.unlisted)) out(l);
  }
  if (summary.filesRead === 0) {
    err("trailwatch replay: nothing could be read");
    return 1;
  }
  if (values.post) return post(toPost);
  return 0;
}

async function main(argv: string[]): Promise<number> {
  dotenv.config({ quiet: true });
  const [command, ...rest] = argv;
  try {
    if (command === "replay") return await replayCommand(rest);
    // PostgreSQL (issue 12): database chores.
    if (command === "migrate") return await migrateCommand(process.env, { out, err });
    if (command === "copy-sqlite-to-postgres") return await copyCommand(rest, process.env, { out, err });
    if (command === undefined || command === "-h" || command === "--help" || command === "help") {
      out(USAGE);
      out("");
      out(DATABASE_USAGE);
      return command === undefined ? 2 : 0;
    }
    throw new UsageError(`unknown command ${JSON.stringify(command)}`);
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith("ERR_PARSE_ARGS")) {
      err(`trailwatch: ${(e as Error).message}`);
      err(USAGE.split("\n")[0] ?? "");
      return 2;
    }
    throw e;
  }
}

process.exitCode = await main(process.argv.slice(2));
