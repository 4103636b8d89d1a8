// Shared listener helpers: re-render an alert message from the store, refuse politely, record actions.
import type { KnownBlock } from "@slack/types";
import type { WebClient } from "@slack/web-api";
import { errorFields } from "../../log.js";
import type { RemediationDeps, RemediationPlan } from "../../remediation/types.js";
import type { ActionRecord, AlertRecord, RemediationRequestRecord } from "../../store/types.js";
import { alertMetadata } from "../action-ids.js";
import { AlertButtonValue, decodeOrNull } from "../payloads.js";
import { requestMessage } from "../blocks/workflow.js";
import { renderAlert } from "../render.js";
import type { ListenerDeps } from "./deps.js";
import { accountRestoreLine } from "../../snapshot/restorable.js";
import { groupOf, renderGroupMessage } from "./group-service.js";

/** Edits the alert message in place so it shows the current state (buttons gone, activity lines). */
export async function refreshAlertMessage(deps: ListenerDeps, eventId: string): Promise<void> {
  const alert = await deps.store.getAlert(eventId);
  if (!alert?.channelId || !alert.messageTs) return;
  // A chain or digest: its one message shows the whole group.
  const grouped = await groupOf(deps.store, alert);
  if (grouped?.group.messageTs) {
    const gm = await renderGroupMessage(deps.store, grouped.group, grouped.members, {
      snapshots: deps.snapshots,
      logger: deps.logger,
      ...(deps.accounts?.multiAccount === false ? {} : { ownAccountId: await ownAccountId(deps) }),
    });
    try {
      await deps.client.chat.update({
        channel: grouped.group.channelId ?? alert.channelId,
        ts: grouped.group.messageTs,
        text: gm.text,
        blocks: gm.blocks,
        metadata: gm.metadata,
      });
    } catch (err) {
      deps.logger.error({ eventId, groupId: grouped.group.id, ...errorFields(err) }, "could not update the group message");
    }
    return;
  }
  // One account watched: the alert is the own account's, no check needed.
  const single = deps.accounts?.multiAccount === false;
  const line = await accountRestoreLine(alert.event, single ? undefined : alert.accountId, single ? null : await ownAccountId(deps), deps.snapshots, deps.logger);
  const msg = renderAlert(alert, await deps.store.listRemediationRequests(eventId), line);
  try {
    await deps.client.chat.update({
      channel: alert.channelId,
      ts: alert.messageTs,
      text: msg.text,
      blocks: msg.blocks,
      metadata: alertMetadata(eventId),
    });
  } catch (err) {
    deps.logger.error({ eventId, ...errorFields(err) }, "could not update the alert message");
  }
}

/**
 * What the remediation engine needs, from the listener dependencies (the bot identity resolved now). With an
 * account id (the account the alert was polled from), the clients and identity are that account's: a plan is
 * made and run where the event happened. An account no longer watched throws rather than fall back. Snapshots
 * describe the bot's own account only, so restores are offered there alone.
 */
export async function remediationDeps(deps: ListenerDeps, accountId?: string): Promise<RemediationDeps> {
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
 * The remediation dependencies for a stored request: the account comes from the stored alert it fixes, never
 * from anything the button carried. Audit findings are about the bot's own account.
 */
export async function remediationDepsForRequest(deps: ListenerDeps, req: { alertEventId: string | null }): Promise<RemediationDeps> {
  const alert = req.alertEventId ? await deps.store.getAlert(req.alertEventId) : null;
  return remediationDeps(deps, alert?.accountId);
}

/** A private (ephemeral) message to one user in a channel; failures are logged, never thrown. */
export async function tellUser(client: WebClient, deps: ListenerDeps, channel: string | undefined, user: string, text: string, threadTs?: string): Promise<void> {
  try {
    await client.chat.postEphemeral({ channel: channel ?? deps.config.alertChannelId, user, text, ...(threadTs ? { thread_ts: threadTs } : {}) });
  } catch (err) {
    deps.logger.warn({ user, ...errorFields(err) }, "could not send ephemeral message");
  }
}

/**
 * Appended to a refusal when user-group membership cannot be confirmed with Slack right now, so a group
 * member who is refused knows why (and that it is not their permissions that changed).
 */
export function membershipNote(deps: ListenerDeps): string {
  return deps.auth.unverifiedGroups.length > 0
    ? " Slack cannot confirm user-group membership right now, so only people listed by user id may act; try again in a few minutes."
    : "";
}

export async function record(deps: ListenerDeps, a: Omit<ActionRecord, "id" | "at">): Promise<void> {
  await deps.store.recordAction({ ...a, at: deps.now() });
  deps.logger.info({ actor: a.actor, action: a.action, eventId: a.alertEventId, requestId: a.requestId, result: a.result }, "action recorded");
}

/** The alert a button refers to (its value is the event id); null when unknown. */
export async function alertFromValue(deps: ListenerDeps, value: unknown): Promise<AlertRecord | null> {
  const eventId = decodeOrNull(AlertButtonValue, value);
  return eventId === null ? null : deps.store.getAlert(eventId);
}

/**
 * Stores a new remediation request for an applicable plan (from an alert or an audit finding) and returns
 * it with the message that asks for approval. It expires after REMEDIATION_EXPIRY_HOURS.
 */
export async function createRemediationRequest(
  deps: ListenerDeps,
  r: { id: string; plan: RemediationPlan; requestedBy: string; alertEventId: string | null; findingId: string | null },
): Promise<{ request: RemediationRequestRecord; message: { text: string; blocks: KnownBlock[] } }> {
  const now = deps.now();
  const request: RemediationRequestRecord = {
    id: r.id,
    alertEventId: r.alertEventId,
    findingId: r.findingId,
    remediationId: r.plan.remediationId,
    params: r.plan.params,
    plan: r.plan,
    requestedBy: r.requestedBy,
    requestedAt: now,
    expiresAt: new Date(now.getTime() + deps.config.remediationExpiryHours * 3600_000),
    state: "pending",
  };
  const { state: _state, ...stored } = request;
  await deps.store.createRemediationRequest(stored);
  return { request, message: requestMessage(request, r.plan) };
}

/**
 * Why restores cannot be offered for an alert from this account, or null: snapshots are taken of the bot's own
 * account only, so a member account's deleted resources have nothing to be rebuilt from.
 */
export async function restoreUnavailable(deps: ListenerDeps, accountId: string | null | undefined): Promise<string | null> {
  if (!accountId) return null;
  const ownId = await ownAccountId(deps);
  if (ownId === null) return "the bot cannot tell which account is its own (STS GetCallerIdentity failed), so it cannot tell whether its IAM snapshots cover this account";
  if (accountId === ownId) return null;
  return `trailwatch takes IAM snapshots of its own account (${ownId}) only; this event happened in account ${accountId}, so there is no snapshot to restore from. Restore it by hand in that account, or contain the actor.`;
}

/** The bot's own account: known to the registry with many accounts, else from STS (cached by the resolver). */
async function ownAccountId(deps: ListenerDeps): Promise<string | null> {
  return deps.accounts?.ownAccountId() ?? (await deps.botIdentity())?.accountId ?? null;
}
