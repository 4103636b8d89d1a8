// Which account a remediation is planned and run in, and where its outcome is reported.
import type { RemediationDeps } from "../remediation/types.js";
import { snapshotScopeFor } from "../snapshot/fleet.js";
import type { RemediationRequestRecord } from "../store/types.js";
import type { ServiceDeps } from "./deps.js";

/**
 * What the remediation engine needs (the bot identity resolved now). With an account id (the account the
 * alert was polled from), the clients and identity are that account's: a plan is made and run where the event
 * happened. An account no longer watched throws rather than fall back. The snapshots are that same account's
 * (its scope's source refuses another account's snapshot), or none when its scope cannot be determined.
 */
export async function remediationDeps(deps: ServiceDeps, accountId?: string): Promise<RemediationDeps> {
  const ownId = accountId ? await ownAccountId(deps) : null;
  const foreign = Boolean(accountId && deps.accounts && accountId !== ownId);
  const acct = foreign && accountId && deps.accounts ? deps.accounts.clientsFor(accountId) : null;
  const scope = deps.snapshots?.forAccount(accountId, ownId);
  const snapshots = scope?.ok ? { snapshots: scope.source } : {};
  const clients = acct ?? { iam: deps.iam, cloudtrail: deps.cloudtrail, identity: deps.botIdentity };
  return {
    iam: clients.iam,
    cloudtrail: clients.cloudtrail,
    botIdentity: await clients.identity(),
    passwordPolicy: deps.config.passwordPolicy,
    verifyRetryDelaysMs: deps.config.verifyRetryDelaysMs,
    now: deps.now,
    ...snapshots,
  };
}

/**
 * The remediation dependencies for a stored request: the account comes from the stored alert it fixes, or for an
 * audit finding from its stored plan, which was made in the stored report's account and records it
 * (requestFindingRemediation); never from anything the button carried. Older plans without one: the own account.
 */
export async function remediationDepsForRequest(deps: ServiceDeps, req: { alertEventId: string | null; plan: { accountId?: string } }): Promise<RemediationDeps> {
  if (!req.alertEventId) return remediationDeps(deps, req.plan.accountId);
  const alert = await deps.store.getAlert(req.alertEventId);
  return remediationDeps(deps, alert?.accountId);
}

/**
 * Why restores cannot be offered for an alert from this account, or null: restores read the snapshots of the
 * event's account, so an account that is not watched, or one that cannot be told apart from the bot's own
 * (its id unknown), has nothing to be rebuilt from.
 */
export async function restoreUnavailable(deps: ServiceDeps, accountId: string | null | undefined): Promise<string | null> {
  if (!accountId) return null;
  const scope = snapshotScopeFor(accountId, await ownAccountId(deps), (s) => deps.accounts?.get(s) !== undefined);
  return scope.ok ? null : `Not restorable: ${scope.reason}. Restore it by hand in that account, or contain the actor.`;
}

/** The bot's own account: known to the registry with many accounts, else from STS (cached by the resolver). */
export async function ownAccountId(deps: Pick<ServiceDeps, "accounts" | "botIdentity">): Promise<string | null> {
  return deps.accounts?.ownAccountId() ?? (await deps.botIdentity())?.accountId ?? null;
}

/** A conversation and, when there is one, the thread in it. */
export interface ThreadRef {
  channel: string;
  ts?: string;
}

/** Where a request's outcome goes: the alert's thread (or the request message's thread for audit findings). */
export async function threadOf(deps: Pick<ServiceDeps, "store" | "config">, req: RemediationRequestRecord): Promise<ThreadRef> {
  if (req.alertEventId) {
    const alert = await deps.store.getAlert(req.alertEventId);
    if (alert?.channelId && alert.messageTs) return { channel: alert.channelId, ts: alert.messageTs };
  }
  return { channel: req.channelId ?? deps.config.alertChannelId, ...(req.messageTs ? { ts: req.messageTs } : {}) };
}
