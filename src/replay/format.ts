// Replay output. Everything in a log file is untrusted: a user agent or a session name can carry terminal
// escape sequences (colour, cursor moves, hyperlinks, a fake prompt), so control and bidi characters are
// shown as visible \u escapes and every value is bounded.
import { SEVERITY_RANK, type Severity } from "../domain.js";
import type { ReplayGroup } from "./grouping.js";
import type { ReplayAlert, ReplayProblem, ReplaySummary } from "./index.js";

// C0 and C1 controls, DEL, line/paragraph separators, and bidi embedding/override/isolate marks.
// eslint-disable-next-line no-control-regex -- matching control characters is the point
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** Makes untrusted text safe to print on a terminal: one line, no escape sequences, at most `max` characters. */
export function terminalSafe(s: string, max = 300): string {
  const clean = s.replace(UNSAFE, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, "0")}`);
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}

function actorOf(a: ReplayAlert): string {
  const act = a.event.actor;
  return act.arn ?? act.principalId ?? act.userName ?? act.invokedBy ?? (act.type === "Unknown" ? "unknown principal" : act.type);
}

function resourceOf(a: ReplayAlert): string {
  const [first, ...rest] = a.event.resources;
  if (!first) return "-";
  return `${first.label || first.kind} ${first.value}${rest.length > 0 ? ` (+${rest.length} more)` : ""}`;
}

function outcomeOf(a: ReplayAlert): string {
  const o = a.decision.outcome;
  return o === "success" ? "succeeded" : `${o} (${a.event.errorCode ?? "error"})`;
}

/** One line per alert: time, severity, event, actor, resource, outcome, rule. */
export function alertLine(a: ReplayAlert, opts: { suppressed?: boolean } = {}): string {
  const time = a.event.eventTime ? a.event.eventTime.toISOString().replace(/\.000Z$/, "Z") : "unknown-time        ";
  const sev = a.ruled.severity.toUpperCase().padEnd(8);
  const rule = a.ruled.rule ? `  rule=${terminalSafe(a.ruled.rule, 80)}` : "";
  const route = a.ruled.route ? `  channel=${a.ruled.route}` : "";
  const tag = opts.suppressed ? "  [suppressed]" : "";
  const group = a.group ? `  group=${a.group.label}` : "";
  return `${time}  ${sev}  ${terminalSafe(a.event.eventName, 60).padEnd(39)}  by ${terminalSafe(actorOf(a))}  on ${terminalSafe(resourceOf(a))}  ${terminalSafe(outcomeOf(a), 120)}${rule}${route}${group}${tag}`;
}

/** The machine-readable form of an alert (one JSON object per line; JSON escapes every control character). */
export function alertJson(a: ReplayAlert): Record<string, unknown> {
  return {
    type: "alert",
    eventId: a.event.eventId,
    eventTime: a.event.eventTime?.toISOString() ?? null,
    eventName: a.event.eventName,
    severity: a.ruled.severity,
    detectedSeverity: a.ruled.detectedSeverity,
    severityReason: a.ruled.severityReason,
    outcome: a.decision.outcome,
    errorCode: a.event.errorCode ?? null,
    accountId: a.event.accountId,
    actor: { type: a.event.actor.type, arn: a.event.actor.arn ?? null, roleArn: a.event.actor.roleArn ?? null, userName: a.event.actor.userName ?? null },
    resources: a.event.resources.map((r) => ({ kind: r.kind, value: r.value })),
    sourceIp: a.event.sourceIp,
    rule: a.ruled.rule ?? null,
    suppressed: a.ruled.suppressed,
    channel: a.ruled.route ?? null,
    mention: a.ruled.mention ?? null,
    file: a.file,
    record: a.record,
    ...(a.group === undefined ? {} : { group: a.group?.label ?? null, groupId: a.group?.id ?? null }),
  };
}

const isoSeconds = (d: Date): string => d.toISOString().replace(/\.000Z$/, "Z");

function byEventText(g: ReplayGroup): string {
  return Object.entries(g.byEvent)
    .sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1))
    .map(([name, n]) => `${terminalSafe(name, 60)} ${n}`)
    .join(", ");
}

/** One line per chain or digest: label, severity, first and last time, actor, root or counts per operation. */
function groupLine(g: ReplayGroup): string {
  const who = g.actor === null ? `${g.actors}${g.actors >= 1000 ? "+" : ""} actors` : `by ${terminalSafe(g.actor)}`;
  const what = g.root ? `  on ${g.root.type} ${terminalSafe(g.root.name)}` : "";
  return `  ${g.label.padEnd(10)}  ${g.severity.toUpperCase().padEnd(8)}  ${isoSeconds(g.firstAt)} to ${isoSeconds(g.lastAt)}  ${who}${what}  ${g.events} events: ${byEventText(g)}`;
}

export function groupJson(g: ReplayGroup): Record<string, unknown> {
  return {
    type: "group",
    group: g.label,
    groupId: g.id,
    kind: g.kind,
    severity: g.severity,
    actor: g.actor,
    actors: g.actors,
    accountId: g.accountId,
    root: g.root ? { type: g.root.type, name: g.root.name } : null,
    events: g.events,
    byEvent: g.byEvent,
    firstEventTime: g.firstAt.toISOString(),
    lastEventTime: g.lastAt.toISOString(),
  };
}

/** The summary's list of chains and digests (nothing when there are none). */
export function groupLines(groups: readonly ReplayGroup[], counts: Record<"chain" | "digest", number>, unlisted: number): string[] {
  if (counts.chain + counts.digest === 0) return [];
  const n = (k: number, word: string) => `${k} ${word}${k === 1 ? "" : "s"}`;
  return [
    `Chains and digests: ${n(counts.chain, "chain")}, ${n(counts.digest, "digest")}${unlisted > 0 ? ` (${unlisted} not listed)` : ""}.`,
    ...groups.map(groupLine),
  ];
}

export function problemLine(p: ReplayProblem): string {
  return `trailwatch replay: ${terminalSafe(p.file, 1000)}${p.record === undefined ? "" : ` record ${p.record}`}: ${terminalSafe(p.message, 500)}`;
}

export function summaryLines(s: ReplaySummary): string[] {
  const sev = (Object.keys(s.bySeverity) as Severity[])
    .sort((a, b) => SEVERITY_RANK[b] - SEVERITY_RANK[a])
    .filter((k) => s.bySeverity[k] > 0)
    .map((k) => `${k} ${s.bySeverity[k]}`)
    .join(", ");
  const rate = s.seconds > 0 ? Math.round(s.records / s.seconds) : s.records;
  const lines = [
    `Summary: ${s.alerts} alert${s.alerts === 1 ? "" : "s"}${sev ? ` (${sev})` : ""} from ${s.records.toLocaleString("en")} records in ${s.files} file${s.files === 1 ? "" : "s"}; ${s.seconds.toFixed(2)} s, ${rate.toLocaleString("en")} records/s.`,
  ];
  if (s.suppressed > 0) lines.push(`Suppressed by rules: ${s.suppressed}.`);
  const rules = Object.entries(s.byRule);
  if (rules.length > 0) lines.push(`Rules matched: ${rules.map(([r, n]) => `${terminalSafe(r, 80)} ${n}`).join(", ")}.`);
  if (s.duplicates > 0) lines.push(`Duplicates: ${s.duplicates} records repeated one already shown (CloudTrail can deliver a record twice).`);
  if (s.insights > 0) lines.push(`CloudTrail Insights records: ${s.insights} (rate statistics, not API calls; never alerted).`);
  if (s.outsideWindow > 0) lines.push(`Outside --since/--until: ${s.outsideWindow} alerts not shown.`);
  if (s.problems > 0) lines.push(`Problems: ${s.problems} (listed on standard error)${s.filesUnreadable > 0 ? `; ${s.filesUnreadable} file(s) could not be read at all` : ""}.`);
  return lines;
}
