// What `/iam-audit` answers with: the posture report, recent alerts, one principal, the action log, an IAM
// snapshot on demand and the watched accounts. Each query takes parsed values and returns data; the edge
// (src/slack/listeners/commands.ts) parses the command, renders the answer and records the use.
import { runAudit, userPosture, UserPostureError } from "../audit/index.js";
import type { AuditCheckError, AuditReport, UserPosture } from "../audit/types.js";
import type { AccountStatus } from "../accounts/pollers.js";
import { awsErrorCode, awsErrorMessage, classifyAwsError, missingPermission } from "../aws/errors.js";
import { errorFields } from "../log.js";
import type { AccountSnapshotResult, AccountSnapshotState } from "../snapshot/fleet.js";
import type { ActionRecord, AlertRecord, StatusCounts, UserFindingsReport } from "../store/types.js";
import type { ServiceDeps } from "./deps.js";
import { manyAccounts, ownTarget, type AccountChoice, type AccountTarget } from "./account-target.js";

const HOUR_MS = 3_600_000;
/** Alerts `events` fetches; more than fit in five messages, so the overflow line can count them. */
const EVENTS_FETCH_LIMIT = 250;
/** Actions `log` shows. */
export const LOG_LIMIT = 50;
/** How far back `user` looks for the principal's deletions. */
export const USER_WINDOW_DAYS = 30;

export type AwsErrorInfo = Pick<AuditCheckError, "api" | "errorName" | "message" | "missingPermission">;

/** An AWS (or other) error as the fields an answer shows, naming the missing permission on access denial. */
export function describeAwsError(api: string, err: unknown): AwsErrorInfo {
  if (err instanceof UserPostureError) return err.info;
  const info: AwsErrorInfo = { api, errorName: awsErrorCode(err), message: awsErrorMessage(err).slice(0, 500) };
  const c = classifyAwsError(err);
  // From the failed call's action (a gateway error), else from AWS's message; unknown when neither says.
  const permission = c.kind === "denied" ? (c.missingPermission ?? missingPermission(err, "")) : "";
  if (permission !== "") info.missingPermission = permission;
  return info;
}

/** Stores the findings an answer offers Remediate buttons for; null (no buttons) when the store fails. */
async function storeFindings(deps: ServiceDeps, at: Date, stored: { scope: "account"; report: AuditReport } | { scope: "user"; report: UserFindingsReport }): Promise<number | null> {
  try {
    return await (stored.scope === "user" ? deps.store.saveAuditReport(at, stored.report, "user") : deps.store.saveAuditReport(at, stored.report, "account"));
  } catch (err) {
    deps.logger.error(errorFields(err), "could not save the audit report; its findings are shown without Remediate buttons");
    return null;
  }
}

export interface PostureReport {
  /** Stamped with the account it is about (accountId when known, accountName). */
  report: AuditReport;
  /** The stored copy Remediate buttons name; null when it could not be stored. */
  reportId: number | null;
  /** Alerts of the last 24 hours by status. */
  counts24h: StatusCounts;
}

/**
 * What a stored report says about its account: its Remediate buttons act there (src/services/remediations.ts).
 * The name, which the App Home shows, only where more than the own account is watched.
 */
function accountStamp(deps: ServiceDeps, a: AccountChoice): { accountId?: string; accountName?: string } {
  return { ...(a.id !== null ? { accountId: a.id } : {}), ...(manyAccounts(deps) || !a.own ? { accountName: a.name } : {}) };
}

/**
 * An account's IAM posture against live AWS (the bot's own account unless `target` says which watched account,
 * read through its role), stored with that account so its findings are remediated there.
 */
export async function postureReport(deps: ServiceDeps, target?: AccountTarget): Promise<PostureReport> {
  const now = deps.now();
  const on = target ?? (await ownTarget(deps));
  const report = { ...(await runAudit({ iam: on.iam, cloudtrail: on.cloudtrail, baseline: deps.config.passwordPolicy, now: () => now })), ...accountStamp(deps, on) };
  const reportId = await storeFindings(deps, now, { scope: "account", report });
  const counts24h = await deps.store.countByStatus(new Date(now.getTime() - 24 * HOUR_MS));
  return { report, reportId, counts24h };
}

/** The alerts of the last `hours` (muted ones too, at most EVENTS_FETCH_LIMIT) and the counts by status. */
export async function recentAlerts(deps: ServiceDeps, hours: number): Promise<{ counts: StatusCounts; alerts: AlertRecord[] }> {
  const since = new Date(deps.now().getTime() - hours * HOUR_MS);
  const [counts, alerts] = await Promise.all([deps.store.countByStatus(since), deps.store.listAlerts({ since, includeMuted: true, limit: EVENTS_FETCH_LIMIT })]);
  return { counts, alerts };
}

export interface PrincipalActivity {
  /** The principal's deletions in the last USER_WINDOW_DAYS days. */
  alerts: AlertRecord[];
  /** Its posture; null when it could not be read (then `error` says why). */
  posture: UserPosture | null;
  error?: AwsErrorInfo;
  /** The stored findings Remediate buttons name; null when there are none to remediate or storing failed. */
  reportId: number | null;
  /** The account the posture was read in. */
  account: AccountChoice;
}

/**
 * One principal (a user name or an ARN): its recent deletions and its posture, looked up in `target` (a watched
 * account chosen by name or by the ARN; its deletions are then the ones by principals of that account) or else
 * in the bot's own account.
 */
export async function principalActivity(deps: ServiceDeps, query: string, alertLimit: number, target?: AccountTarget): Promise<PrincipalActivity> {
  const now = deps.now();
  const since = new Date(now.getTime() - USER_WINDOW_DAYS * 24 * HOUR_MS);
  const filter = query.startsWith("arn:") ? { actorArn: query } : { actorUserName: query };
  const on = target ?? (await ownTarget(deps));
  const postureP: Promise<{ posture: UserPosture | null; error?: AwsErrorInfo }> = userPosture(
    { iam: on.iam, cloudtrail: on.cloudtrail, baseline: deps.config.passwordPolicy, now: () => now },
    query,
  ).then(
    (posture) => ({ posture }),
    (err: unknown) => {
      deps.logger.warn({ query: query.slice(0, 200), ...errorFields(err) }, "user posture lookup failed");
      return { posture: null, error: describeAwsError("GetUser", err) };
    },
  );
  // A name is not unique across accounts: with many, only the deletions polled from the account looked in (the own
  // account's include alerts stored before its id was known), filtered before the limit so none is crowded out.
  const accountIds = manyAccounts(deps) ? (on.own ? [on.id, null] : [on.id]) : undefined;
  const [alerts, posture] = await Promise.all([deps.store.listAlerts({ since, includeMuted: true, limit: alertLimit, ...filter, ...(accountIds ? { accountIds } : {}) }), postureP]);
  const found = posture.posture?.exists ? posture.posture : null;
  const reportId = found?.findings.some((f) => f.remediation)
    ? await storeFindings(deps, now, { scope: "user", report: { generatedAt: now, findings: found.findings, errors: found.errors, user: found.arn, ...accountStamp(deps, on) } })
    : null;
  return { alerts, posture: posture.posture, ...(posture.error ? { error: posture.error } : {}), reportId, account: { id: on.id, name: on.name, own: on.own } };
}

/** The latest LOG_LIMIT recorded actions. */
export async function recentActions(deps: ServiceDeps): Promise<ActionRecord[]> {
  return deps.store.listActions({ limit: LOG_LIMIT });
}

/** Takes an IAM snapshot of every watched account now; null when snapshots are not enabled in this process. */
export async function snapshotNow(deps: ServiceDeps): Promise<AccountSnapshotResult[] | null> {
  return deps.snapshots ? deps.snapshots.run("command") : null;
}

/** The watched accounts, how their polling goes and (with snapshots) each one's last snapshot. */
export async function watchedAccounts(deps: ServiceDeps): Promise<{ statuses: AccountStatus[]; source: string; snapshots: Map<string, AccountSnapshotState> | null }> {
  const snapshots = deps.snapshots ? await deps.snapshots.states() : null;
  return { statuses: deps.accountPollers?.status() ?? [], source: deps.accounts?.source ?? "own", snapshots };
}
