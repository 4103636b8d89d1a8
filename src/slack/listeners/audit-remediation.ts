// The Remediate button of an /iam-audit finding: authorize, re-read the finding from the stored report the
// button names, plan its remediation against live IAM (dry run), store a remediation request (alertEventId
// null, findingId set) and post it with Approve / Reject. The approval, the four-eyes rule and the
// execution belong to the request listeners in remediation.ts.
import { randomUUID } from "node:crypto";
import type { App, BlockButtonAction, RespondFn } from "@slack/bolt";
import { z } from "zod";
import { REMEDIATION_IDS } from "../../domain.js";
import { errorFields } from "../../log.js";
import { planRemediation } from "../../remediation/index.js";
import type { RemediationPlan } from "../../remediation/types.js";
import { ActionIds } from "../action-ids.js";
import { AuditRemediateValue, decodeOrNull } from "../payloads.js";
import { prose } from "../mrkdwn.js";
import { createRemediationRequest, membershipNote, record, remediationDeps, tellUser } from "./alert-service.js";
import type { ListenerDeps } from "./deps.js";

const NOT_RESPONDER = "You are not allowed to request remediations (ask an admin to add you to RESPONDERS or APPROVERS). Nothing was changed.";

/** The part of a stored finding a remediation is built from; anything else in the stored JSON is ignored. */
const StoredFinding = z.object({
  id: z.string(),
  remediation: z.object({
    id: z.enum(REMEDIATION_IDS),
    params: z.record(z.string().regex(/^[A-Za-z][A-Za-z0-9]{0,63}$/), z.string().max(1000)),
  }),
});
type StoredFinding = z.output<typeof StoredFinding>;

/** The finding the button names, from the stored report, if it was reported with a remediation. */
async function reportedFinding(deps: ListenerDeps, value: AuditRemediateValue): Promise<StoredFinding | null> {
  const stored = await deps.store.getAuditReport(value.report);
  const findings = z.object({ findings: z.array(z.unknown()) }).safeParse(stored?.report);
  if (!findings.success) return null;
  for (const raw of findings.data.findings) {
    const f = StoredFinding.safeParse(raw);
    if (f.success && f.data.id === value.finding) return f.data;
  }
  return null;
}

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

    const value = decodeOrNull(AuditRemediateValue, action.value);
    if (!value) {
      // Old-format values (remediation id and parameters in the button) land here too: never trusted.
      await record(deps, { ...base, requestId: null, result: "refused", detail: { reason: "invalid button value", value: String(action.value ?? "").slice(0, 300) } });
      return privately("This Remediate button is not valid (it may come from an older trailwatch). Nothing was requested. Run `/iam-audit` again.");
    }
    if (!(await deps.auth.isResponder(user))) {
      await record(deps, { ...base, requestId: null, result: "refused", detail: { report: value.report, finding: value.finding, reason: "not a responder" } });
      return privately(NOT_RESPONDER + membershipNote(deps));
    }
    // The remediation and its parameters come from the finding as it was reported, never from the button.
    const finding = await reportedFinding(deps, value);
    if (!finding) {
      await record(deps, { ...base, requestId: null, result: "refused", detail: { report: value.report, finding: value.finding, reason: "no such finding with a remediation in the stored report (forged or stale button)" } });
      deps.logger.warn({ user, report: value.report, finding: value.finding.slice(0, 200) }, "audit Remediate button names no reported finding; refused");
      return privately("This Remediate button does not match a finding trailwatch reported, so nothing was requested. Run `/iam-audit` again.");
    }
    const detail = { report: value.report, finding: finding.id, remediation: finding.remediation.id, params: finding.remediation.params };

    const requestId = randomUUID();
    let plan: RemediationPlan;
    try {
      plan = await planRemediation(finding.remediation.id, finding.remediation.params, await remediationDeps(deps), requestId);
    } catch (err) {
      deps.logger.error({ finding: finding.id, ...errorFields(err) }, "planning an audit remediation failed");
      await record(deps, { ...base, requestId: null, result: "error", detail: { ...detail, reason: "planning failed" } });
      return privately("Could not plan this remediation; please try again.");
    }
    if (!plan.applicable) {
      await record(deps, { ...base, requestId: null, result: "refused", detail: { ...detail, reason: plan.reason } });
      return privately(`That remediation cannot be requested now: ${prose(plan.reason, 1000)}`);
    }

    const { message: msg } = await createRemediationRequest(deps, { id: requestId, plan, requestedBy: user, alertEventId: null, findingId: finding.id });

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
