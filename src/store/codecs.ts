// The typed boundary for JSON the store keeps in text columns: each stored shape has a zod schema annotated with
// its domain type (`z.ZodType<T>`), so the compiler proves the schema and the type agree. Rows are written with
// JSON.stringify (dates become ISO strings) and read back through these schemas (dates revived), so the store
// hands out typed records and nothing downstream casts.
//
// Lenient where old rows differ: rows written by earlier versions lack fields added since (a plan's bindings,
// accountId, adminReasons, undoes; an alert's account fields), and every object keeps unknown keys
// (`z.looseObject`) so a row written by a newer version survives a read and a write by this one.
import { z } from "zod";
import { REMEDIATION_IDS, SEVERITIES, type Actor, type AffectedResource, type IamEvent } from "../domain.js";
import { AUDIT_CHECKS, type AuditCheckError, type AuditFinding, type AuditReport } from "../audit/types.js";
import type { GroupSnapshot } from "../grouping/grouper.js";
import type { ResourceRef } from "../grouping/keys.js";
import type { Binding, ExecutionResult, PlannedCall, RemediationPlan, UndoneChange } from "../remediation/types.js";
import type { RecoveredOutcome } from "../remediation/reconcile.js";
import { TrailwatchError } from "../aws/errors.js";

/** An ISO date string (what JSON.stringify makes of a Date) revived as a Date. */
const isoDate = z.union([z.string(), z.date()]).transform((v) => new Date(v));

const stringRecord = z.record(z.string(), z.string());

// ---- remediation plans and results ----

const PlannedCallSchema: z.ZodType<PlannedCall> = z.looseObject({
  api: z.string(),
  params: z.record(z.string(), z.unknown()),
  description: z.string(),
});

const UndoneChangeSchema: z.ZodType<UndoneChange> = z.looseObject({
  eventName: z.string(),
  actor: z.string(),
  eventTime: z.string().exactOptional(),
  deliberate: z.string().exactOptional(),
});

/**
 * Bindings are not decoded here: the executor is their authority. It refuses a plan whose bindings are missing
 * (stored before identity binding existed) or malformed, with its own message (src/remediation/executor.ts
 * precheck), and the request message reads them defensively. Decoding them here would turn those refusals
 * into unloadable requests.
 */
// The one cast here: a plan stored before bindings has none, which the type (what a planner makes today) does
// not admit; the executor's Array.isArray check is what stands between such a plan and AWS.
const BindingsSchema = z.custom<Binding[]>(() => true).optional() as unknown as z.ZodType<Binding[]>;

export const RemediationPlanSchema: z.ZodType<RemediationPlan> = z.looseObject({
  remediationId: z.enum(REMEDIATION_IDS),
  title: z.string(),
  params: stringRecord,
  applicable: z.boolean(),
  reason: z.string(),
  observations: z.array(z.string()),
  calls: z.array(PlannedCallSchema),
  notes: z.array(z.string()).exactOptional(),
  bindings: BindingsSchema,
  accountId: z.string().exactOptional(),
  adminReasons: z.array(z.string()).exactOptional(),
  undoes: UndoneChangeSchema.exactOptional(),
});

/** What a request stores as its result: an execution's, or (crash recovery) a read-back's in the same shape. */
export type StoredExecutionResult = ExecutionResult & { recovered?: true; outcome?: RecoveredOutcome; unreadable?: string[] };

export const ExecutionResultSchema: z.ZodType<StoredExecutionResult> = z.looseObject({
  ok: z.boolean(),
  done: z.array(PlannedCallSchema),
  failed: z.looseObject({ call: PlannedCallSchema, errorName: z.string(), message: z.string() }).exactOptional(),
  notDone: z.array(PlannedCallSchema),
  verification: z.looseObject({ ok: z.boolean(), details: z.array(z.string()) }),
  summary: z.string(),
  refused: z.string().exactOptional(),
  drift: z.array(z.string()).exactOptional(),
  recovered: z.literal(true).exactOptional(),
  outcome: z.enum(["succeeded", "failed", "unknown"]).exactOptional(),
  unreadable: z.array(z.string()).exactOptional(),
});

export const ParamsSchema: z.ZodType<Record<string, string>> = stringRecord;

// ---- audit reports ----

const AuditFindingSchema: z.ZodType<AuditFinding> = z.looseObject({
  id: z.string(),
  check: z.enum(AUDIT_CHECKS),
  severity: z.enum(SEVERITIES),
  title: z.string(),
  detail: z.string(),
  resource: z.looseObject({ type: z.enum(["user", "access-key", "trail", "account", "password-policy"]), name: z.string() }).exactOptional(),
  remediation: z.looseObject({ id: z.enum(REMEDIATION_IDS), params: stringRecord }).exactOptional(),
});

const AuditCheckErrorSchema: z.ZodType<AuditCheckError> = z.looseObject({
  check: z.enum(AUDIT_CHECKS),
  api: z.string(),
  errorName: z.string(),
  message: z.string(),
  missingPermission: z.string().exactOptional(),
});

/** The account a report is about (absent in older reports: the bot's own account). */
const reportAccount = { accountId: z.string().regex(/^\d{12}$/).exactOptional(), accountName: z.string().exactOptional() };

/** A full `/iam-audit` report (scope "account"). */
export const AuditReportSchema: z.ZodType<AuditReport> = z.looseObject({
  generatedAt: isoDate,
  findings: z.array(AuditFindingSchema),
  errors: z.array(AuditCheckErrorSchema),
  checksRun: z.array(z.enum(AUDIT_CHECKS)),
  clean: z.boolean(),
  ...reportAccount,
});

/** The findings of an `/iam-audit user` answer (scope "user"): what its Remediate buttons name. */
export interface UserFindingsReport {
  generatedAt: Date;
  findings: AuditFinding[];
  errors: AuditCheckError[];
  /** The user's ARN. */
  user: string;
  /** The account the user was looked up in, as in AuditReport. */
  accountId?: string;
  accountName?: string;
}

export const UserFindingsReportSchema: z.ZodType<UserFindingsReport> = z.looseObject({
  generatedAt: isoDate,
  findings: z.array(AuditFindingSchema),
  errors: z.array(AuditCheckErrorSchema),
  user: z.string(),
  ...reportAccount,
});

// ---- alerts and groups ----

const ActorSchema: z.ZodType<Actor> = z.looseObject({
  type: z.string(),
  arn: z.string().exactOptional(),
  principalId: z.string().exactOptional(),
  accountId: z.string().exactOptional(),
  accessKeyId: z.string().exactOptional(),
  userName: z.string().exactOptional(),
  roleArn: z.string().exactOptional(),
  roleName: z.string().exactOptional(),
  sessionName: z.string().exactOptional(),
  mfaAuthenticated: z.boolean().nullable(),
  invokedBy: z.string().exactOptional(),
  assumedRoot: z.literal(true).exactOptional(),
});

const AffectedResourceSchema: z.ZodType<AffectedResource> = z.looseObject({ kind: z.string(), label: z.string(), value: z.string() });

/** The normalised event an alert stores; its time is stored as an ISO string (or null) and revived. */
export const IamEventSchema: z.ZodType<IamEvent> = z.looseObject({
  eventId: z.string(),
  eventName: z.string(),
  eventSource: z.string(),
  // As before: an absent or empty time reads as null.
  eventTime: z
    .union([z.string(), z.date(), z.null()])
    .optional()
    .transform((v) => (v ? new Date(v) : null)),
  awsRegion: z.string(),
  accountId: z.string(),
  actor: ActorSchema,
  sourceIp: z.string(),
  userAgent: z.string(),
  client: z.enum(["console", "cli", "sdk", "terraform", "cloudformation", "aws-service", "unknown"]),
  errorCode: z.string().exactOptional(),
  errorMessage: z.string().exactOptional(),
  requestParameters: z.record(z.string(), z.unknown()).nullable(),
  resources: z.array(AffectedResourceSchema),
  readOnly: z.boolean().exactOptional(),
  parseError: z.string().exactOptional(),
});

const ResourceRefSchema: z.ZodType<ResourceRef> = z.looseObject({
  type: z.enum(["role", "user", "group", "policy", "instance-profile", "oidc-provider", "mfa-device", "other"]),
  name: z.string(),
});

export const GroupSnapshotSchema: z.ZodType<GroupSnapshot> = z.looseObject({
  id: z.string(),
  kind: z.enum(["chain", "digest"]),
  actor: z.string().nullable(),
  accountId: z.string(),
  root: ResourceRefSchema.nullable(),
  keys: z.array(z.string()),
  firstAt: isoDate,
  lastAt: isoDate,
  memberIds: z.array(z.string()),
  severity: z.enum(SEVERITIES),
  rootFromDeletion: z.boolean(),
  route: z.string().nullable().exactOptional(),
});

// ---- small shapes ----

export const DetailSchema: z.ZodType<Record<string, unknown>> = z.record(z.string(), z.unknown());
export const BlocksSchema: z.ZodType<unknown[]> = z.array(z.unknown());
export const EventIdsSchema: z.ZodType<string[]> = z.array(z.string());

// ---- decoding ----

/** A stored JSON column that does not decode: names the table, the row and the column. */
export class StoredRecordError extends TrailwatchError {
  constructor(
    readonly table: string,
    readonly rowId: string,
    readonly column: string,
    detail: string,
    cause?: unknown,
  ) {
    super("stored_record_corrupt", `${table} ${rowId}: stored ${column} does not decode (${detail})`, { cause });
  }
}

/** Parses and decodes one JSON column; throws StoredRecordError naming the row and column when it does not fit. */
export function decodeColumn<T>(schema: z.ZodType<T>, text: unknown, where: { table: string; id: string; column: string }): T {
  let value: unknown;
  try {
    value = typeof text === "string" ? JSON.parse(text) : text;
  } catch (err) {
    throw new StoredRecordError(where.table, where.id, where.column, "not JSON", err);
  }
  const res = schema.safeParse(value);
  if (!res.success) {
    const first = res.error.issues[0];
    const detail = first ? `${first.path.join(".") || "(root)"}: ${first.message}` : "invalid";
    throw new StoredRecordError(where.table, where.id, where.column, detail, res.error);
  }
  return res.data;
}
