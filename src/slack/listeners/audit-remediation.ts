// The Remediate button of an /iam-audit finding. Behind the authorization middleware (responders), the
// service re-reads the finding from the stored report the button names, plans its remediation against live
// IAM (dry run), stores a request and posts it with Approve / Reject. The approval, the four-eyes rule and
// the execution belong to the request listeners in remediation.ts.
import type { App, BlockButtonAction, RespondFn } from "@slack/bolt";
import { errorFields } from "../../log.js";
import { recordAction } from "../../services/actions.js";
import { requestFindingRemediation } from "../../services/remediations.js";
import { ActionIds } from "../action-ids.js";
import { prose } from "../mrkdwn.js";
import { AuditRemediateValue, decodeOrNull } from "../payloads.js";
import { authorize, tellUser, type AccessRule, type ButtonArgs } from "./authorize.js";
import type { ListenerDeps } from "./deps.js";
import { slackNotifier } from "../workflow-notifier.js";

const NOT_RESPONDER_REQUEST = "You are not allowed to request remediations (ask an admin to add you to RESPONDERS or APPROVERS). Nothing was changed.";

/**
 * A private note to the clicker: through the button's response URL (works in any conversation), else as an
 * ephemeral message.
 */
async function privately(deps: ListenerDeps, args: ButtonArgs, text: string): Promise<void> {
  const { body } = args;
  if (typeof (args.respond as RespondFn | undefined) === "function" && body.response_url) {
    try {
      await args.respond({ response_type: "ephemeral", replace_original: false, text });
      return;
    } catch (err) {
      deps.logger.warn({ user: body.user.id, ...errorFields(err) }, "could not answer through the response URL");
    }
  }
  await tellUser(args.client, deps, body.channel?.id, body.user.id, text);
}

export const auditRemediateRule: AccessRule<ButtonArgs> = {
  role: "responder",
  reason: "not a responder",
  text: NOT_RESPONDER_REQUEST,
  explainMembership: true,
  subject: (_deps, args) => {
    const value = decodeOrNull(AuditRemediateValue, args.action.value);
    return Promise.resolve(value ? { action: "remediation-request", alertEventId: null, requestId: null, detail: { report: value.report, finding: value.finding }, channel: args.body.channel?.id } : null);
  },
  // Old-format values (remediation id and parameters in the button) land here too: never trusted.
  unknown: async (deps, args) => {
    const raw: unknown = args.action.value;
    await recordAction(deps, {
      actor: args.body.user.id,
      action: "remediation-request",
      alertEventId: null,
      requestId: null,
      result: "refused",
      detail: { reason: "invalid button value", value: (typeof raw === "string" ? raw : "").slice(0, 300) },
    });
    await privately(deps, args, "This Remediate button is not valid (it may come from an older trailwatch). Nothing was requested. Run `/iam-audit` again.");
  },
  tell: privately,
};

/** Remediate on a finding: requests its remediation and says where it was posted for approval. */
export async function onAuditRemediate(deps: ListenerDeps, args: ButtonArgs): Promise<void> {
  const ref = decodeOrNull(AuditRemediateValue, args.action.value);
  if (!ref) return; // the middleware answered it
  const channel = args.body.channel?.id;
  const r = await requestFindingRemediation(deps, slackNotifier(deps, args.client), { user: args.body.user.id, channel, ref });
  switch (r.kind) {
    case "unknown_finding":
      return privately(deps, args, "This Remediate button does not match a finding trailwatch reported, so nothing was requested. Run `/iam-audit` again.");
    case "planning_failed":
      return privately(deps, args, "Could not plan this remediation; please try again.");
    case "not_applicable":
      return privately(deps, args, `That remediation cannot be requested now: ${prose(r.reason, 1000)}`);
    case "not_posted":
      return privately(deps, args, "The remediation request was recorded but could not be posted for approval (is the bot in this channel and the alert channel?).");
    case "ok":
      if (r.channel !== channel) await privately(deps, args, `The remediation request was posted for approval in <#${r.channel}>.`);
      return;
  }
}

export function registerAuditRemediationListener(app: App, deps: ListenerDeps): void {
  app.action<BlockButtonAction>(ActionIds.auditRemediate, authorize(deps, auditRemediateRule), (args) => onAuditRemediate(deps, args));
}
