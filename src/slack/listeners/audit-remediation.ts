// The Remediate button of an /iam-audit finding: authorize, plan against live IAM (dry run), store a
// remediation request (alertEventId null, findingId set) and post it with Approve / Reject. The
// approval, the four-eyes rule and the execution belong to the request listeners in remediation.ts.
import { randomUUID } from "node:crypto";
import type { App, BlockButtonAction, RespondFn } from "@slack/bolt";
import { errorFields } from "../../log.js";
import { planRemediation } from "../../remediation/index.js";
import type { RemediationPlan } from "../../remediation/types.js";
import { ActionIds } from "../action-ids.js";
import { decodeRemediateValue } from "../blocks/audit.js";
import { prose } from "../mrkdwn.js";
import { createRemediationRequest, record, remediationDeps, tellUser } from "./alert-service.js";
import type { ListenerDeps } from "./deps.js";

const NOT_RESPONDER = "You are not allowed to request remediations (ask an admin to add you to RESPONDERS or APPROVERS). Nothing was changed.";

export function registerAuditRemediationListener(app: App, deps: ListenerDeps): void {
  app.action<BlockButtonAction>(ActionIds.auditRemediate, async ({ ack, body, action, client, respond }) => {
    await ack();
    const user = body.user.id;
    const channel = body.channel?.id;
    // A private note to the clicker: through the button's response URL (works in any conversation),
    // else as an ephemeral message.
    const privately = async (text: string): Promise<void> => {
      if (typeof (respond as RespondFn | undefined) === "function" && body.response_url) {
        try {
          await respond({ response_type: "ephemeral", replace_original: false, text });
          return;
        } catch (err) {
          deps.logger.warn({ user, ...errorFields(err) }, "could not answer through the response URL");
        }
      }
      await tellUser(client, deps, channel, user, text);
    };
    const base = { actor: user, action: "remediation-request", alertEventId: null } as const;

    const value = decodeRemediateValue(action.value);
    if (!value) {
      await record(deps, { ...base, requestId: null, result: "refused", detail: { reason: "invalid button value" } });
      return privately("This Remediate button is not valid (it may come from an older trailwatch). Run `/iam-audit` again.");
    }
    const detail = { remediation: value.r, params: value.p, finding: value.f };
    if (!(await deps.auth.isResponder(user))) {
      await record(deps, { ...base, requestId: null, result: "refused", detail: { ...detail, reason: "not a responder" } });
      return privately(NOT_RESPONDER);
    }

    const requestId = randomUUID();
    let plan: RemediationPlan;
    try {
      plan = await planRemediation(value.r, value.p, await remediationDeps(deps), requestId);
    } catch (err) {
      deps.logger.error({ finding: value.f, ...errorFields(err) }, "planning an audit remediation failed");
      await record(deps, { ...base, requestId: null, result: "error", detail: { ...detail, reason: "planning failed" } });
      return privately("Could not plan this remediation; please try again.");
    }
    if (!plan.applicable) {
      await record(deps, { ...base, requestId: null, result: "refused", detail: { ...detail, reason: plan.reason } });
      return privately(`That remediation cannot be requested now: ${prose(plan.reason, 1000)}`);
    }

    const { message: msg } = await createRemediationRequest(deps, { id: requestId, plan, requestedBy: user, alertEventId: null, findingId: value.f });

    // The conversation the button was clicked in (an ephemeral /iam-audit answer has one too), else the
    // alert channel (e.g. a DM the bot cannot post in).
    const targets = [...new Set([channel, deps.config.alertChannelId].filter((c): c is string => typeof c === "string" && c !== ""))];
    let posted: { channel: string; ts: string } | null = null;
    for (const target of targets) {
      try {
        const res = await client.chat.postMessage({ channel: target, text: msg.text, blocks: msg.blocks });
        if (res.ts) {
          posted = { channel: res.channel ?? target, ts: res.ts };
          break;
        }
      } catch (err) {
        deps.logger.warn({ requestId, channel: target, ...errorFields(err) }, "could not post the remediation request here");
      }
    }
    if (posted) await deps.store.setRemediationMessage(requestId, posted.channel, posted.ts);
    await record(deps, {
      ...base,
      requestId,
      result: posted ? "ok" : "error",
      detail: { ...detail, calls: plan.calls.map((c) => c.api), channel: posted?.channel ?? null },
    });
    if (!posted) {
      return privately("The remediation request was recorded but could not be posted for approval (is the bot in this channel and the alert channel?).");
    }
    if (posted.channel !== channel) {
      await privately(`The remediation request was posted for approval in <#${posted.channel}>.`);
    }
  });
}
