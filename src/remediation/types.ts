// Public types of the remediation engine, plus the internal contract each remediation implements.
import type { IAMClient } from "@aws-sdk/client-iam";
import type { CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import type { BotIdentity, IamEvent, PasswordPolicyBaseline, RemediationId } from "../domain.js";
import type { SnapshotSource } from "../snapshot/service.js";
import type { Binding } from "./bindings.js";

export type { Binding } from "./bindings.js";

/** Parameters of a remediation, e.g. { instanceProfileName, roleName }. Strings only so plans store as JSON. */
export type RemediationParams = Record<string, string>;

/** One AWS API call a plan makes, exactly as it will be sent. */
export interface PlannedCall {
  /** IAM or CloudTrail API name, e.g. "AddRoleToInstanceProfile". Must be on the executor's allow-list. */
  api: string;
  /** The request parameters, SDK (UpperCamelCase) names. */
  params: Record<string, unknown>;
  /** A human line, e.g. "Add role app-role to instance profile app-profile". */
  description: string;
}

export interface RemediationPlan {
  remediationId: RemediationId;
  title: string;
  params: RemediationParams;
  /** false => `reason` says why (e.g. "role app-role no longer exists"). */
  applicable: boolean;
  /** Short explanation either way. */
  reason: string;
  /** Current state found, e.g. "alias acme-prod is not in use". */
  observations: string[];
  /** Exact API calls it will make, in order. Empty when not applicable. */
  calls: PlannedCall[];
  /** What the remediation cannot bring back and what will differ afterwards (restores), shown as warnings. */
  notes?: string[];
  /**
   * What the plan is about, by identity and content (unique ids, policy versions, document hashes, the
   * account). Re-checked at execution; any difference refuses the plan.
   */
  bindings: Binding[];
  /** The account the plan acts in (the event's account; the bot's own for audit findings). */
  accountId?: string;
  /** Non-empty when the plan grants admin-level access: why. The approver must confirm explicitly. */
  adminReasons?: string[];
  /** The change this plan undoes, when it undoes one: who made it. */
  undoes?: UndoneChange;
}

/** Who made the detach or removal a plan undoes, from the event (untrusted text: escape when shown). */
export interface UndoneChange {
  eventName: string;
  actor: string;
  eventTime?: string;
  /** Set when the change looks like a deliberate responder action, with why. */
  deliberate?: string;
}

/** What a plan is for: the event's account and the change it undoes. Absent for audit findings. */
export interface PlanSubject {
  /** The account the event happened in (recipientAccountId). The plan refuses unless the bot acts there. */
  accountId?: string;
  undoes?: UndoneChange;
}

export interface RemediationDeps {
  /**
   * IAM in the account the plan acts in. With several accounts, the caller hands in the deps of the event's
   * account (its assumed-role client and identity); planRemediation and the account binding check that
   * botIdentity.accountId is the event's account.
   */
  iam: IAMClient;
  cloudtrail?: CloudTrailClient;
  botIdentity: BotIdentity | null;
  passwordPolicy: PasswordPolicyBaseline;
  now?: () => Date;
  /**
   * Waits (ms) before re-reading when a read-back check does not yet see a change (IAM is eventually
   * consistent). One extra attempt per entry. Default [1000, 3000].
   */
  verifyRetryDelaysMs?: number[];
  /** Stored IAM snapshots, for restores; without it restores say no snapshot is available. */
  snapshots?: SnapshotSource;
}

export interface ExecutionContext {
  requestId: string;
  requestedBy: string;
  approvedBy: string;
  /** The approver ticked "I understand this grants admin-level access" (required for admin-level plans). */
  adminConfirmed?: boolean;
}

export interface ExecutionResult {
  ok: boolean;
  /** Calls that AWS accepted, as sent. */
  done: PlannedCall[];
  /** The call AWS refused; errorName and message as AWS gave them. Absent when nothing failed. */
  failed?: { call: PlannedCall; errorName: string; message: string };
  /** Calls that were not attempted. */
  notDone: PlannedCall[];
  verification: { ok: boolean; details: string[] };
  /** One line, e.g. "re-added role app-role to instance profile app-profile". */
  summary: string;
  /** Set when the executor made no call at all because it refused the plan (why, in one line). */
  refused?: string;
  /** Set with `refused` when what the plan is bound to changed since approval was requested: each difference. */
  drift?: string[];
}

/** What a remediation's planner decides. */
export type PlanOutcome =
  | { applicable: true; reason: string; calls: PlannedCall[]; notes?: string[] }
  | { applicable: false; reason: string; notes?: string[] };

/** Handed to a planner: dependencies, the request id for tags, and a place to record what it saw. */
export interface PlanContext {
  deps: RemediationDeps;
  requestId: string | undefined;
  observations: string[];
  /** Where the planner records what the plan is about (see bindings.ts). */
  bindings: Binding[];
  /** Where the planner records why the plan grants admin-level access (see privilege.ts). */
  adminReasons: string[];
  now: Date;
}

/** The contract each remediation implements (src/remediation/remediations/*.ts). */
export interface RemediationDefinition {
  id: RemediationId;
  title: string;
  /** null when params are well-formed, else why not. */
  validate(params: RemediationParams): string | null;
  fromEvent(event: IamEvent): RemediationParams | { error: string };
  planTitle(params: RemediationParams): string;
  plan(params: RemediationParams, ctx: PlanContext): Promise<PlanOutcome>;
  /**
   * Fixes values that must not change between request and approval (a restore's snapshot id) into the
   * params before planning; the stored plan carries them, so execution re-plans from the same source.
   */
  pin?(params: RemediationParams, deps: RemediationDeps, now: Date): Promise<RemediationParams>;
  /** One line, past tense, for a fully executed plan. */
  summary(params: RemediationParams, done: PlannedCall[]): string;
  /** true when it undoes the event (re-attach, re-add, restore): the plan then names who made that change. */
  undoesEvent?: boolean;
}
