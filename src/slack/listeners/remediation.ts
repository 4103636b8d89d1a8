// Approve / Reject on a remediation request, and the admin-level confirmation dialog. Approvers approve (the
// middleware checks the role, the service the four-eyes rule); approvers or the requester reject.
import type { App, BlockButtonAction, ViewSubmitAction } from "@slack/bolt";
import { errorFields } from "../../log.js";
import { approveRemediation, findRequest, rejectRemediation, type ApproveResult } from "../../services/remediations.js";
import type { RemediationRequestRecord } from "../../store/types.js";
import { ActionIds, CallbackIds } from "../action-ids.js";
import { AdminConfirmIds, adminConfirmModal } from "../blocks/workflow.js";
import { prose, userMention } from "../mrkdwn.js";
import { decodeOrNull, RequestButtonValue } from "../payloads.js";
import { authorize, tellUser, type AccessRule, type ButtonArgs, type InteractiveArgs, type SubmitArgs } from "./authorize.js";
import type { ListenerDeps } from "./deps.js";
import { slackNotifier } from "../workflow-notifier.js";

const UNKNOWN_REQUEST = "This remediation request is not known to trailwatch.";
const NOT_APPROVER = "Only approvers (APPROVERS) may approve remediations. Nothing was changed.";
const NOT_APPROVER_OR_REQUESTER = "Only approvers or the requester may reject this request. Nothing was changed.";

/** What a decided (or expired) request says to someone who clicks it again. */
function describeDecided(req: RemediationRequestRecord): string {
  switch (req.state) {
    case "expired":
      return "This request has expired; request a new remediation from the alert.";
    case "rejected":
      return `This request was already rejected by ${userMention(req.decidedBy ?? "")}.`;
    case "pending":
      return "This request has expired; request a new remediation from the alert.";
    case "refused":
      return `This request was refused before any change when ${userMention(req.decidedBy ?? "")} approved it (the thread says why); it cannot be approved again. Request a new remediation.`;
    default:
      return `This request was already approved by ${userMention(req.decidedBy ?? "")}; it runs only once.`;
  }
}

/** The request id a button or the dialog's private_metadata names; never trusted beyond a lookup. */
const requestIdOf = (args: InteractiveArgs): string | null => decodeOrNull(RequestButtonValue, "action" in args ? args.action.value : args.view.private_metadata);

/** Where a refusal about this request is told: the button's conversation, or the request's for the dialog. */
const channelOf = (args: InteractiveArgs, req: RemediationRequestRecord): string | undefined => ("action" in args ? args.body.channel?.id : req.channelId);

function requestRule<A extends InteractiveArgs>(rule: Omit<AccessRule<A>, "subject" | "unknown" | "role"> & { action: string; requesterToo: boolean }): AccessRule<A> {
  const { action, requesterToo, ...rest } = rule;
  return {
    ...rest,
    role: "approver",
    subject: async (deps, args) => {
      const id = requestIdOf(args);
      const req = id === null ? null : await findRequest(deps, id);
      if (!req) return null;
      return { action, alertEventId: req.alertEventId, requestId: req.id, channel: channelOf(args, req), ...(requesterToo ? { alsoAllowed: req.requestedBy } : {}) };
    },
    unknown: async (deps, args) => tellUser(args.client, deps, "action" in args ? args.body.channel?.id : undefined, args.body.user.id, UNKNOWN_REQUEST),
  };
}

/** Whether the approver ticked the admin-level confirmation in the dialog. */
const adminConfirmed = (args: SubmitArgs): boolean =>
  (args.view.state.values[AdminConfirmIds.block]?.[AdminConfirmIds.action]?.selected_options ?? []).some((o) => o.value === AdminConfirmIds.value);

export const approveRule = requestRule<ButtonArgs>({ action: "remediation-approve", requesterToo: false, reason: "not an approver", text: NOT_APPROVER, explainMembership: true });
export const adminConfirmRule = requestRule<SubmitArgs>({
  action: "remediation-approve",
  requesterToo: false,
  reason: "not an approver",
  text: NOT_APPROVER,
  explainMembership: true,
  // Without the tick the dialog stays open and says why (the approval is then refused below, nothing runs).
  ack: async (args) => {
    if (adminConfirmed(args)) await args.ack();
    else await args.ack({ response_action: "errors", errors: { [AdminConfirmIds.block]: "Tick the confirmation to approve an admin-level remediation." } });
  },
});
// Approvers may reject; requesters may withdraw their own request.
export const rejectRule = requestRule<ButtonArgs>({ action: "remediation-reject", requesterToo: true, reason: "not an approver or the requester", text: NOT_APPROVER_OR_REQUESTER, explainMembership: false });

/** Tells the approver what came of an approval (the thread and the request message show the rest). */
async function renderApproval(deps: ListenerDeps, args: InteractiveArgs, channel: string | undefined, r: ApproveResult, triggerId?: string): Promise<void> {
  const { client } = args;
  const user = args.body.user.id;
  switch (r.kind) {
    case "not_found":
      return tellUser(client, deps, channel, user, UNKNOWN_REQUEST);
    case "own_request":
      return tellUser(client, deps, channel, user, "You requested this remediation, so another approver must approve it (four-eyes rule). Nothing was changed.");
    case "confirm":
      // The button never runs an admin-level plan: it opens the dialog that asks for the confirmation.
      try {
        await client.views.open({ trigger_id: triggerId ?? "", view: adminConfirmModal(r.request, r.plan) });
      } catch (err) {
        deps.logger.error({ requestId: r.request.id, ...errorFields(err) }, "could not open the admin confirmation dialog");
        await tellUser(client, deps, channel, user, "Could not open the confirmation dialog; please try again. Nothing was changed.");
      }
      return;
    case "confirmation_missing":
      return tellUser(client, deps, channel, user, "This remediation grants admin-level access: approve it through the dialog and tick the confirmation. Nothing was changed.");
    case "decided":
      return tellUser(client, deps, channel, user, describeDecided(r.request));
    case "executed":
      if (r.refused) return tellUser(client, deps, channel, user, `Remediation not executed, nothing was changed in IAM: ${prose(r.result.refused ?? "", 1500)}`);
      return;
  }
}

/** Approve: runs the request (an admin-level one opens the confirmation dialog instead). */
export async function onApprove(deps: ListenerDeps, args: ButtonArgs): Promise<void> {
  const channel = args.body.channel?.id;
  const id = requestIdOf(args);
  const r = id === null ? ({ kind: "not_found" } as const) : await approveRemediation(deps, slackNotifier(deps, args.client), { user: args.body.user.id, requestId: id, via: "button", adminConfirmed: false });
  await renderApproval(deps, args, channel, r, args.body.trigger_id);
}

/** The admin-level confirmation dialog: runs the request when the confirmation is ticked. */
export async function onAdminConfirmSubmit(deps: ListenerDeps, args: SubmitArgs): Promise<void> {
  const id = requestIdOf(args);
  const req = id === null ? null : await findRequest(deps, id);
  if (!req) return tellUser(args.client, deps, undefined, args.body.user.id, UNKNOWN_REQUEST);
  const r = await approveRemediation(deps, slackNotifier(deps, args.client), { user: args.body.user.id, requestId: req.id, via: "dialog", adminConfirmed: adminConfirmed(args) });
  await renderApproval(deps, args, req.channelId, r);
}

/** Reject (or withdraw): the request message shows who rejected it. */
export async function onReject(deps: ListenerDeps, args: ButtonArgs): Promise<void> {
  const channel = args.body.channel?.id;
  const user = args.body.user.id;
  const id = requestIdOf(args);
  const r = id === null ? ({ kind: "not_found" } as const) : await rejectRemediation(deps, slackNotifier(deps, args.client), { user, requestId: id });
  if (r.kind === "not_found") return tellUser(args.client, deps, channel, user, UNKNOWN_REQUEST);
  if (r.kind === "decided") return tellUser(args.client, deps, channel, user, describeDecided(r.request));
}

export function registerRemediationListeners(app: App, deps: ListenerDeps): void {
  app.action<BlockButtonAction>(ActionIds.approveRemediation, authorize(deps, approveRule), (args) => onApprove(deps, args));
  app.view<ViewSubmitAction>(CallbackIds.adminConfirmModal, authorize(deps, adminConfirmRule), (args) => onAdminConfirmSubmit(deps, args));
  app.action<BlockButtonAction>(ActionIds.rejectRemediation, authorize(deps, rejectRule), (args) => onReject(deps, args));
}
