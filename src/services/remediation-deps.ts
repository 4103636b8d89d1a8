// Which account a remediation is planned and run in, and where its outcome is reported.
import type { RemediationDeps } from "../remediation/types.js";
import type { RemediationRequestRecord } from "../store/types.js";
import type { ServiceDeps } from "./deps.js";

/**
 * What the remediation engine needs (the bot identity resolved now). With an account id (the account the
 * alert was polled from), the clients and identity are that account's: a plan is made and run where the event
 * happened. An account no longer watched throws rather than fall back. Snapshots describe the bot's own
 * account only, so restores are offered there alone.
 */
export async function remediationDeps(deps: ServiceDeps, accountId?: string): Promise<RemediationDeps> {
  const foreign = Boolean(accountId && deps.accounts && accountId !== (await ownAccountId(deps)));
  const acct = foreign && accountId && deps.accounts ? deps.accounts.clientsFor(accountId) : null;
  if (acct) return { iam: acct.iam, cloudtrail: acct.cloudtrail, botIdentity: await acct.identity(), passwordPolicy: deps.config.passwordPolicy, now: deps.now };
  return {
    iam: deps.iam,
    cloudtrail: deps.cloudtrail,
    botIdentity: await deps.botIdentity(),
    passwordPolicy: deps.config.passwordPolicy,
    now: deps.now,
    ...(deps.snapshots ? { snapshots: deps.snapshots } : {}),
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
 * Why restores cannot be offered for an alert from this account, or null: snapshots are taken of the bot's own
 * account only, so a member account's deleted resources have nothing to be rebuilt from.
 */
export async function restoreUnavailable(deps: ServiceDeps, accountId: string | null | undefined): Promise<string | null> {
  if (!accountId) return null;
  const ownId = await ownAccountId(deps);
  if (ownId === null) return "the bot cannot tell which account is its own (STS GetCallerIdentity failed), so it cannot tell whether its IAM snapshots cover this account";
  if (accountId === ownId) return null;
  return `trailwatch takes IAM snapshots of its own account (${ownId}) only; this event happened in account ${accountId}, so there is no snapshot to restore from. Restore it by hand in that account, or contain the actor.`;
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
