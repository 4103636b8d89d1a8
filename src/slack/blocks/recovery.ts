// The message for a remediation settled after a crash: what was found in IAM, never a second run.
import type { KnownBlock } from "@slack/types";
import type { Reconciliation } from "../../remediation/reconcile.js";
import type { RemediationPlan } from "../../remediation/types.js";
import type { RemediationRequestRecord } from "../../store/types.js";
import { inline, prose, truncateEscaped, userMention } from "../mrkdwn.js";
import { LIMITS } from "./limits.js";

export function recoveryMessage(req: RemediationRequestRecord, plan: RemediationPlan, r: Reconciliation): { text: string; blocks: KnownBlock[] } {
  const title = prose(plan.title || req.remediationId, 200);
  const lines = [
    `⚠️ *trailwatch stopped while this remediation was executing* (approved by ${userMention(req.decidedBy ?? "")}). ` +
      "It was not run again: an approval is for one run. IAM was read back instead.",
  ];
  if (r.outcome === "succeeded") lines.push(`✅ *Remediated:* ${prose(r.result.summary, 500)}`);
  else if (r.outcome === "failed") lines.push(`❌ *Remediation incomplete:* ${title}. Request a new remediation from the alert for what is missing.`);
  else lines.push(`❓ *Outcome unknown:* ${title}. Check IAM by hand; what could not be read is listed below.`);
  const group = (status: string, heading: string) => {
    const items = r.readBack.filter((b) => b.status === status);
    if (items.length > 0) lines.push(`*${heading}:*\n${items.slice(0, 10).map((b) => `• ${prose(b.call.description || b.call.api, 250)} — ${prose(b.detail, 250)}`).join("\n")}`);
  };
  group("confirmed", "In IAM");
  group("absent", "Not in IAM");
  group("unreadable", "Could not read");
  const text = truncateEscaped(lines.join("\n"), LIMITS.sectionText);
  const summary =
    r.outcome === "succeeded" ? `Remediated (recovered after a restart): ${r.result.summary}` : r.outcome === "failed" ? `Remediation incomplete (recovered after a restart): ${plan.title}` : `Remediation outcome unknown after a restart: ${plan.title}`;
  return { text: inline(summary, 500), blocks: [{ type: "section", text: { type: "mrkdwn", text } }] };
}
