// Replay: CloudTrail log files -> normalisation -> detection -> rules -> grouping -> alerts, with no Slack or
// AWS access. The same decisions as the poller (decide + applyRules), so a replay backtests the bot.
import { createHash } from "node:crypto";
import { normalizeLookupEvent, normalizeRecord } from "../cloudtrail/normalize.js";
import { decide } from "../detect/index.js";
import type { Decision } from "../detect/types.js";
import type { IamEvent, Severity } from "../domain.js";
import { applyRules, type RuledAlert, type RuleSet } from "../rules/index.js";
import { listLogFiles, readLogFile } from "./files.js";
import type { ReplayGroupRef } from "./grouping.js";

export interface ReplayAlert {
  event: IamEvent;
  decision: Extract<Decision, { alert: true }>;
  ruled: RuledAlert;
  /** Where it came from: file and 1-based record number in it. */
  file: string;
  record: number;
  /** The chain or digest it belongs to, when a grouper ran (./grouping.ts); null: it stands alone. */
  group?: ReplayGroupRef | null;
}

/**
 * The grouping step between the rules and the output: it receives alerts in file order and returns them,
 * possibly later and reordered, each exactly once (ReplayGrouper in ./grouping.ts marks chains and digests).
 */
export interface Grouper<T = ReplayAlert> {
  push(alert: ReplayAlert): T[];
  flush(): T[];
}

const identityGrouper: Grouper = { push: (a) => [a], flush: () => [] };

export interface ReplayOptions {
  rules: RuleSet;
  since?: Date | undefined;
  until?: Date | undefined;
  grouper?: Grouper | undefined;
  maxRecordBytes?: number | undefined;
}

export interface ReplayProblem {
  file: string;
  /** 1-based record number in the file, when the problem is one record. */
  record?: number;
  message: string;
}

export interface ReplaySummary {
  /** Log files found. */
  files: number;
  /** Files whose records could be read (some may have stopped early; see problems). */
  filesRead: number;
  /** Files, and named paths, that could not be read at all. */
  filesUnreadable: number;
  records: number;
  alerts: number;
  suppressed: number;
  bySeverity: Record<Severity, number>;
  byRule: Record<string, number>;
  outsideWindow: number;
  /** Alerting records identical to one already replayed (CloudTrail may deliver a record twice). */
  duplicates: number;
  /** CloudTrail Insights records: statistics about API call rates, not calls, so never alerts. */
  insights: number;
  problems: number;
  seconds: number;
  /** Most bytes held for any one file at once (constant memory: about a read chunk plus one record). */
  peakBufferedBytes: number;
}

export interface ReplaySinks {
  alert(item: ReplayAlert): void;
  suppressed?(item: ReplayAlert): void;
  problem(p: ReplayProblem): void;
}

// Cheap byte tests that rule a record out before JSON.parse. A record can only alert when its eventSource
// is exactly "iam.amazonaws.com" and its name starts with one of these verbs; without a \u escape the bytes
// must then contain those texts literally.
const IAM_SOURCE = Buffer.from("iam.amazonaws.com");
const UNICODE_ESCAPE = Buffer.from("\\u");
const VERBS = ["Delete", "Detach", "Remove", "Deactivate"].map((v) => Buffer.from(`"${v}`));
const VERBS_ESCAPED = ["Delete", "Detach", "Remove", "Deactivate"].map((v) => Buffer.from(`\\"${v}`));
const TIME_KEYS = ["\"eventTime\"", "\"EventTime\"", "\"eventtime\""].map((k) => Buffer.from(k));

function mayAlert(raw: Buffer): boolean {
  if (raw.indexOf(UNICODE_ESCAPE) >= 0) return true;
  if (raw.indexOf(IAM_SOURCE) < 0) return false;
  return VERBS.some((v) => raw.indexOf(v) >= 0) || VERBS_ESCAPED.some((v) => raw.indexOf(v) >= 0);
}

function normalize(parsed: unknown): IamEvent {
  // LookupEvents items (AWS CLI output) carry the record as a JSON string in CloudTrailEvent.
  if (typeof parsed === "object" && parsed !== null && typeof (parsed as { CloudTrailEvent?: unknown }).CloudTrailEvent === "string") {
    return normalizeLookupEvent(parsed);
  }
  return normalizeRecord(parsed);
}

export async function replay(paths: readonly string[], opts: ReplayOptions, sinks: ReplaySinks): Promise<ReplaySummary> {
  const t0 = performance.now();
  const grouper = opts.grouper ?? identityGrouper;
  const summary: ReplaySummary = {
    files: 0,
    filesRead: 0,
    filesUnreadable: 0,
    records: 0,
    alerts: 0,
    suppressed: 0,
    bySeverity: { critical: 0, high: 0, medium: 0, low: 0 },
    byRule: {},
    outsideWindow: 0,
    duplicates: 0,
    insights: 0,
    problems: 0,
    seconds: 0,
    peakBufferedBytes: 0,
  };
  const problem = (p: ReplayProblem): void => {
    summary.problems++;
    sinks.problem(p);
  };
  const out = (items: ReplayAlert[]): void => {
    for (const item of items) {
      if (item.ruled.suppressed) {
        summary.suppressed++;
        sinks.suppressed?.(item);
      } else {
        summary.alerts++;
        summary.bySeverity[item.ruled.severity]++;
        sinks.alert(item);
      }
      if (item.ruled.rule) summary.byRule[item.ruled.rule] = (summary.byRule[item.ruled.rule] ?? 0) + 1;
    }
  };

  // Keys of alerting records only (a small fraction of all records), as the bot's store de-duplicates.
  const seen = new Set<string>();
  const { files, problems } = await listLogFiles(paths);
  for (const p of problems) {
    summary.filesUnreadable++;
    problem({ file: p.path, message: p.message });
  }
  for (const file of files) {
    summary.files++;
    let n = 0;
    const result = await readLogFile(
      file,
      (raw) => {
        n++;
        summary.records++;
        const candidate = mayAlert(raw);
        const hasTime = TIME_KEYS.some((k) => raw.indexOf(k) >= 0);
        if (!candidate && hasTime) return;
        let parsed: unknown;
        try {
          parsed = JSON.parse(raw.toString("utf8"));
        } catch (err) {
          problem({ file, record: n, message: `not valid JSON (${(err as Error).message}); skipped` });
          return;
        }
        if (typeof parsed === "object" && parsed !== null && (parsed as { eventType?: unknown }).eventType === "AwsCloudTrailInsight") {
          summary.insights++;
          return;
        }
        const ev = normalize(parsed);
        const d = decide(ev);
        if (ev.eventTime === null) {
          problem({ file, record: n, message: d.alert ? `${ev.eventName} has no valid eventTime; alerted with an unknown time` : "no valid eventTime" });
        }
        if (!d.alert) return;
        if (opts.since || opts.until) {
          const t = ev.eventTime?.getTime();
          if (t === undefined || (opts.since && t < opts.since.getTime()) || (opts.until && t >= opts.until.getTime())) {
            summary.outsideWindow++;
            return;
          }
        }
        // The same record delivered twice (or present in two trails' exports) alerts once. Matched on
        // content, not on the id alone: test data and some exports reuse ids for different records.
        const key = `${ev.eventId}\0${createHash("sha256").update(JSON.stringify(parsed)).digest("base64")}`;
        if (seen.has(key)) {
          summary.duplicates++;
          return;
        }
        seen.add(key);
        out(grouper.push({ event: ev, decision: d, ruled: applyRules(ev, d, opts.rules), file, record: n }));
      },
      { maxRecordBytes: opts.maxRecordBytes },
    );
    summary.peakBufferedBytes = Math.max(summary.peakBufferedBytes, result.peakBuffered);
    if (result.error) problem({ file, message: result.error });
    if (result.unreadable) summary.filesUnreadable++;
    else summary.filesRead++;
  }
  out(grouper.flush());
  summary.seconds = (performance.now() - t0) / 1000;
  return summary;
}
