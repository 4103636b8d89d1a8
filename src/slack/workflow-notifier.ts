// The Slack side of the services' ports: what a workflow shows while it runs. The alert message (or its
// group's) and the request message are re-rendered from the store; escalations, requests and outcomes are
// posted. Failures are logged, never thrown: the workflow has already been recorded.
import type { KnownBlock } from "@slack/types";
import type { WebClient } from "@slack/web-api";
import { errorFields } from "../log.js";
import type { EscalationPoster } from "../services/alerts.js";
import { groupOf } from "../services/groups.js";
import { ownAccountId, type ThreadRef } from "../services/remediation-deps.js";
import type { RecoveryNotifier } from "../services/recovery.js";
import type { RemediationNotifier, RequestPoster } from "../services/remediations.js";
import { accountRestoreLine } from "../snapshot/restorable.js";
import { alertMetadata } from "./action-ids.js";
import { recoveryMessage } from "./blocks/recovery.js";
import { escalationPost, outcomeMessage, requestMessage } from "./blocks/workflow.js";
import { renderGroupMessage } from "./group-message.js";
import { renderAlert } from "./render.js";
import type { ListenerDeps } from "./listeners/deps.js";

/** Edits the alert message in place so it shows the current state (buttons gone, activity lines). */
async function refreshAlertMessage(deps: ListenerDeps, eventId: string): Promise<void> {
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

/** Edits the request message in place so it shows the request's state (buttons gone once decided). */
async function updateRequestMessage(deps: ListenerDeps, id: string): Promise<void> {
  const req = await deps.store.getRemediationRequest(id);
  if (!req?.channelId || !req.messageTs) return;
  const msg = requestMessage(req, req.plan);
  try {
    await deps.client.chat.update({ channel: req.channelId, ts: req.messageTs, text: msg.text, blocks: msg.blocks });
  } catch (err) {
    deps.logger.warn({ requestId: id, ...errorFields(err) }, "could not update the remediation request message");
  }
}

/** Posts a message, in a thread when there is one; false (logged) when Slack refused it. */
async function post(client: WebClient, deps: ListenerDeps, thread: ThreadRef, msg: { text: string; blocks: KnownBlock[] }, what: string, fields: Record<string, unknown>): Promise<{ ok: boolean; ts?: string; channel?: string }> {
  try {
    const res = await client.chat.postMessage({ channel: thread.channel, text: msg.text, blocks: msg.blocks, ...(thread.ts ? { thread_ts: thread.ts } : {}) });
    return { ok: true, ...(res.ts ? { ts: res.ts } : {}), ...(res.channel ? { channel: res.channel } : {}) };
  } catch (err) {
    deps.logger.error({ ...fields, ...errorFields(err) }, `could not post the ${what}`);
    return { ok: false };
  }
}

type SlackNotifier = EscalationPoster & RequestPoster & RemediationNotifier & RecoveryNotifier;

/** Every port the workflows take, through `client` (the one Bolt hands the listener) and the deps' client. */
export function slackNotifier(deps: ListenerDeps, client: WebClient): SlackNotifier {
  return {
    alertChanged: (eventId) => refreshAlertMessage(deps, eventId),
    requestChanged: (requestId) => updateRequestMessage(deps, requestId),
    async postEscalation(alert, by, note, target) {
      let permalink: string | null = null;
      if (alert.channelId && alert.messageTs) {
        try {
          permalink = (await client.chat.getPermalink({ channel: alert.channelId, message_ts: alert.messageTs })).permalink ?? null;
        } catch (err) {
          deps.logger.warn({ eventId: alert.eventId, ...errorFields(err) }, "could not get the alert permalink");
        }
      }
      const msg = escalationPost(alert, by, note, permalink, deps.config.oncallUsergroupId);
      const res = await post(client, deps, { channel: target.channel, ...(target.threadTs ? { ts: target.threadTs } : {}) }, msg, "escalation", { eventId: alert.eventId });
      return res.ok;
    },
    async postRequest(request, plan, where) {
      const msg = requestMessage(request, plan);
      for (const channel of where.channels) {
        const res = await post(client, deps, { channel, ...(where.threadTs ? { ts: where.threadTs } : {}) }, msg, "remediation request", { eventId: request.alertEventId, requestId: request.id, channel });
        if (res.ts) return { channel: res.channel ?? channel, ts: res.ts };
      }
      return null;
    },
    async remediationFinished(request, thread, result, approvedBy) {
      await post(client, deps, thread, outcomeMessage(request.plan, result, approvedBy), "remediation outcome", { requestId: request.id });
    },
    async remediationRecovered(request, plan, thread, reconciliation) {
      await post(client, deps, thread, recoveryMessage(request, plan, reconciliation), "recovered remediation outcome", { requestId: request.id });
    },
  };
}
