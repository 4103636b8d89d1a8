// Shared pieces of the restore remediations: which snapshot a restore uses, tags for recreated
// resources, and the honest notes (what cannot come back, what changes).
import type { IAMClient } from "@aws-sdk/client-iam";
import type { LoadedSnapshot } from "../../snapshot/service.js";
import type { IamSnapshot, SnapTag } from "../../snapshot/model.js";
import { tagValue, trailwatchTags } from "../aws.js";
import type { IamEvent } from "../../domain.js";
import { checkParams, checkUndoEvent, paramsFrom, type ParamKind } from "../validate.js";
import type { PlanContext, RemediationDeps, RemediationParams } from "../types.js";
import { iamGateway } from "../../aws/iam-gateway.js";
import { orMissing } from "../../aws/errors.js";

const TAG_RESTORED_FROM = "trailwatch:restored-from";
/** IAM allows 50 tags per role, user, policy or instance profile. */
const MAX_TAGS = 50;

const SNAPSHOT_ID = /^\d{1,15}$/;
const ISO_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;

/** Checks the optional snapshotId / before params shared by every restore; one of them is required. */
export function checkSnapshotParams(p: RemediationParams): string | null {
  if (p.snapshotId !== undefined && !SNAPSHOT_ID.test(p.snapshotId)) return "parameter snapshotId must be a snapshot number";
  if (p.before !== undefined && (!ISO_TIME.test(p.before) || Number.isNaN(Date.parse(p.before)))) return "parameter before must be an ISO time such as 2026-01-31T12:00:00Z";
  if (p.snapshotId === undefined && p.before === undefined) return "missing parameter snapshotId or before";
  return null;
}

/** `before` from an event: its time, so the restore uses the last snapshot taken before the deletion. */
export function beforeFromEventTime(eventTime: Date | null): { before: string } | { error: string } {
  if (!eventTime || Number.isNaN(eventTime.getTime())) return { error: "the event has no time, so the snapshot before it cannot be chosen" };
  return { before: eventTime.toISOString() };
}

/**
 * fromEvent() of a restore: the event must be one it undoes, the names come from its request parameters
 * (`param -> request key`), and the snapshot is the last one before the event's time.
 */
export function restoreFromEvent(eventNames: readonly string[], mapping: Record<string, string>): (event: IamEvent) => RemediationParams | { error: string } {
  return (event) => {
    const bad = checkUndoEvent(event, eventNames);
    if (bad) return { error: bad };
    const params = paramsFrom(event, mapping);
    if ("error" in params) return params;
    const before = beforeFromEventTime(event.eventTime);
    return "error" in before ? before : { ...params, ...before };
  };
}

/** pin(): a restore requested "before T" is fixed to the snapshot that was the latest before T. */
export async function pinSnapshot(p: RemediationParams, deps: RemediationDeps): Promise<RemediationParams> {
  if (p.snapshotId !== undefined || p.before === undefined || !deps.snapshots) return {};
  const found = await deps.snapshots.latestAtOrBefore(new Date(p.before));
  return found ? { snapshotId: String(found.meta.id) } : {};
}

export const snapshotLabel = (s: LoadedSnapshot) => `snapshot #${s.meta.id} (taken ${s.meta.takenAt.toISOString()}, last confirmed ${s.meta.confirmedAt.toISOString()})`;

/** The snapshot a restore uses, or why there is none. */
export async function loadSnapshot(p: RemediationParams, ctx: PlanContext): Promise<LoadedSnapshot | { error: string }> {
  const source = ctx.deps.snapshots;
  if (!source) return { error: "no IAM snapshots are available to this bot" };
  if (p.snapshotId !== undefined) {
    const s = await source.get(Number(p.snapshotId));
    if (!s) return { error: `snapshot #${p.snapshotId} is gone (older than SNAPSHOT_RETENTION_DAYS, or never existed); request the restore again` };
    ctx.observations.push(`using ${snapshotLabel(s)}`);
    return s;
  }
  const before = new Date(p.before ?? "");
  const oldest = await source.oldest();
  if (!oldest) return { error: "no IAM snapshot has been taken yet" };
  return { error: `no snapshot was taken before ${before.toISOString()}: the oldest kept is from ${oldest.takenAt.toISOString()}, after the deletion` };
}

/** The original tags, then trailwatch's own (request, action, snapshot), within IAM's 50-tag limit. */
export function restoreTags(original: SnapTag[], ctx: PlanContext, action: string, snapshotId: number, notes: string[]): SnapTag[] {
  const ours = [...trailwatchTags(ctx.requestId, action), { Key: TAG_RESTORED_FROM, Value: tagValue(`snapshot-${snapshotId}`) }];
  const kept = original.filter((t) => !t.Key.startsWith("trailwatch:"));
  const room = Math.max(0, MAX_TAGS - kept.length);
  if (room < ours.length) notes.push(`the resource had ${kept.length} tags, so only ${room} of trailwatch's ${ours.length} tags fit (IAM allows ${MAX_TAGS})`);
  return [...kept, ...ours.slice(0, room)];
}

/** Roles whose trust policy names `arn` in the snapshot: they stop matching the recreated principal. */
export function trustPoliciesNaming(snapshot: IamSnapshot, arn: string, except?: string): string[] {
  return snapshot.roles.filter((r) => r.name !== except && r.trustPolicy.includes(`"${arn}"`)).map((r) => r.name);
}

/** The note about a recreated principal's unique id and the trust policies that named the old one. */
export function newIdNotes(kind: "role" | "user", name: string, oldId: string, arn: string, snapshot: IamSnapshot): string[] {
  const idName = kind === "role" ? "RoleId" : "UserId";
  const notes = [`the restored ${kind} will have a new ${idName}; the old one was ${oldId}. Anything that recorded the old id (e.g. aws:userid conditions) will not match it.`];
  const trusting = trustPoliciesNaming(snapshot, arn, name);
  notes.push(
    trusting.length > 0
      ? `trust policies that named the old ${kind} stop matching it (IAM rewrote them to the old id when it was deleted): ${trusting.slice(0, 20).join(", ")}${trusting.length > 20 ? ` and ${trusting.length - 20} more` : ""}. Edit them to name ${arn} again.`
      : `no role in the snapshot trusted ${arn}; resource policies outside IAM (S3, KMS, SNS, …) that named it stop matching and are not visible here.`,
  );
  return notes;
}

/** Whether a managed policy exists now (customer or AWS managed). */
export async function policyExists(iam: IAMClient, arn: string): Promise<boolean> {
  return (await orMissing(iamGateway(iam).getPolicy(arn))) !== undefined;
}

export const CREDENTIALS_GONE =
  "cannot come back: the console password, access keys (and their secrets), MFA devices and their seeds, service-specific credentials and server certificate private keys. The restored user has none; issue new ones.";

/** A restore's own params checked like any remediation's, plus the shared snapshotId / before. */
export function checkRestoreParams(p: RemediationParams, required: Record<string, ParamKind>, optional: Record<string, ParamKind> = {}): string | null {
  // eslint-disable-next-line @typescript-eslint/no-unnecessary-condition -- params from Slack forms and stored plans, checked as if untyped
  if (p === null || typeof p !== "object") return "params are missing";
  const { snapshotId: _s, before: _b, ...rest } = p;
  return checkParams(rest, required, optional) ?? checkSnapshotParams(p);
}

/**
 * CloudTrail lower-cases only the first letter of request parameter names (SAMLProviderArn becomes
 * sAMLProviderArn); records seen in the wild vary, so a few spellings are accepted.
 */
export function firstRequestString(params: Record<string, unknown> | null, keys: string[]): string | undefined {
  for (const k of keys) {
    const v = params?.[k];
    if (typeof v === "string" && v !== "") return v;
  }
  return undefined;
}

/**
 * What a policy document allows or denies, in one short line, so the approver sees what is put back
 * (e.g. "Allow s3:GetObject on arn:aws:s3:::app/*"). Unparseable documents say so.
 */
export function policySummary(document: string, max = 160): string {
  let statements: { Effect?: unknown; Action?: unknown; NotAction?: unknown; Resource?: unknown }[];
  try {
    const parsed = JSON.parse(document) as { Statement?: unknown };
    statements = (Array.isArray(parsed.Statement) ? parsed.Statement : [parsed.Statement]).filter((s): s is Record<string, unknown> => typeof s === "object" && s !== null);
  } catch {
    return "a document that is not valid JSON";
  }
  const show = (x: unknown): string => (typeof x === "string" ? x : JSON.stringify(x));
  const list = (v: unknown) => (Array.isArray(v) ? v.map(show) : v === undefined ? [] : [show(v)]).join(", ");
  const parts = statements.map((s) => {
    const actions = s.Action !== undefined ? list(s.Action) : `everything except ${list(s.NotAction)}`;
    return `${s.Effect === undefined ? "?" : show(s.Effect)} ${actions}${s.Resource !== undefined ? ` on ${list(s.Resource)}` : ""}`;
  });
  const text = parts.join("; ");
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}
