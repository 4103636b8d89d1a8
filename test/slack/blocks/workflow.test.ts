// Builders of the interactive workflow: modals, the request message and the outcome, with hostile values.
import { describe, expect, test } from "vitest";
import { normalizeRecord } from "../../../src/cloudtrail/normalize.js";
import type { ExecutionResult, RemediationPlan } from "../../../src/remediation/types.js";
import { validateBlocks, validateMessage } from "../../../src/slack/blocks/limits.js";
import {
  adminConfirmModal,
  escalateModal,
  escalationPost,
  outcomeMessage,
  remediateModal,
  requestMessage,
} from "../../../src/slack/blocks/workflow.js";
import { decodeOrNull, ModalMetadata } from "../../../src/slack/payloads.js";
import type { AlertRecord, RemediationRequestRecord } from "../../../src/store/types.js";
import { iamRecord } from "../../support/records.js";

const HOSTILE = "<!channel> <https://evil.example|AWS Console> & `tick`";
const event = normalizeRecord(iamRecord({ eventId: "ev-1", eventName: "RemoveRoleFromInstanceProfile", requestParameters: { instanceProfileName: HOSTILE, roleName: "x".repeat(5000) } }));
const alert: AlertRecord = {
  eventId: "ev-1",
  eventName: "RemoveRoleFromInstanceProfile",
  severity: "high",
  severityReason: "r",
  outcome: "success",
  event,
  eventTime: event.eventTime,
  detectedAt: new Date(),
  muted: false,
  delivery: "posted",
  postAttempts: 1,
  nextAttemptAt: new Date(),
  status: "open",
  channelId: "C1",
  messageTs: "1.1",
};

function plan(i: number, applicable = true): RemediationPlan {
  return {
    remediationId: "readd-role-to-instance-profile",
    title: `Plan ${i} ${HOSTILE}`,
    params: { instanceProfileName: HOSTILE, roleName: "r" },
    applicable,
    reason: applicable ? "can apply" : `cannot: ${HOSTILE}`,
    observations: Array.from({ length: 20 }, (_, j) => `observation ${j} ${HOSTILE} ${"y".repeat(400)}`),
    calls: Array.from({ length: 20 }, () => ({ api: "AddRoleToInstanceProfile", params: {}, description: `add ${HOSTILE} ${"z".repeat(400)}` })),
    bindings: [{ kind: "role", label: `role ${HOSTILE}`, ref: { roleName: HOSTILE }, expected: { RoleId: HOSTILE } }],
    undoes: { eventName: HOSTILE, actor: HOSTILE, deliberate: HOSTILE },
    adminReasons: [`policy ${HOSTILE} allows *`],
  };
}

/** Every mrkdwn text in a Block Kit structure (plain_text is never parsed for mentions or links). */
function mrkdwnTexts(v: unknown): string[] {
  if (Array.isArray(v)) return v.flatMap(mrkdwnTexts);
  if (v && typeof v === "object") {
    const o = v as Record<string, unknown>;
    const own = o.type === "mrkdwn" && typeof o.text === "string" ? [o.text] : [];
    return [...own, ...Object.values(o).flatMap(mrkdwnTexts)];
  }
  return [];
}

const noRawControl = (blocks: unknown) => {
  const json = mrkdwnTexts(blocks).join("\n");
  expect(json).not.toContain("<!channel>");
  expect(json).not.toContain("<https://evil.example|");
};

describe("workflow builders", () => {
  test("the remediation modal stays within modal limits with many long plans, and escapes everything", () => {
    const view = remediateModal(alert, [...Array.from({ length: 25 }, (_, i) => plan(i)), plan(99, false)]);
    expect(validateBlocks(view.blocks as never, { maxBlocks: 100, maxTotalChars: 250_000 })).toEqual([]);
    noRawControl(view);
    expect(view.submit).toBeDefined();
  });

  test("no applicable plan: no submit button, the reason is shown", () => {
    const view = remediateModal(alert, [plan(1, false)]);
    expect(view.submit).toBeUndefined();
    expect(JSON.stringify(view.blocks)).toContain("cannot: &lt;!channel&gt;");
  });

  test("the request message has Approve/Reject only while pending, and says who decided", () => {
    const req: RemediationRequestRecord = {
      id: "req-1",
      alertEventId: "ev-1",
      findingId: null,
      remediationId: "readd-role-to-instance-profile",
      params: {},
      plan: plan(1),
      requestedBy: "UREQ",
      requestedAt: new Date(),
      expiresAt: new Date(Date.now() + 3600_000),
      state: "pending",
    };
    const pending = requestMessage(req, plan(1));
    expect(validateMessage(pending)).toEqual([]);
    expect(JSON.stringify(pending.blocks)).toContain("remediation_approve");
    const rejected = requestMessage({ ...req, state: "rejected", decidedBy: "UAPP", decidedAt: new Date() }, plan(1));
    expect(JSON.stringify(rejected.blocks)).not.toContain("remediation_approve");
    expect(JSON.stringify(rejected.blocks)).toContain("Rejected by <@UAPP>");
  });

  test("the plan shows its bindings, the admin-level warning and who made the change it undoes, escaped", () => {
    const view = remediateModal(alert, [plan(1)]);
    const text = mrkdwnTexts(view.blocks).join("\n");
    expect(text).toContain("Bound to: `role &lt;!channel&gt;");
    expect(text).toContain("⚠️ *Grants admin-level access.* The approver must confirm it explicitly.");
    expect(text).toContain("policy &lt;!channel&gt;");
    expect(text).toMatch(/Undoes .* made by `&lt;!channel&gt;/);
    expect(text).toContain("Possibly deliberate: &lt;!channel&gt;");
    noRawControl(view);
    const { adminReasons: _a, ...ordinary } = plan(2);
    expect(mrkdwnTexts(remediateModal(alert, [ordinary]).blocks).join("\n")).not.toContain("admin-level");
  });

  test("an admin-level request's Approve opens the confirmation dialog; an ordinary one keeps Slack's confirm", () => {
    const req: RemediationRequestRecord = {
      id: "req-2",
      alertEventId: "ev-1",
      findingId: null,
      remediationId: "reattach-managed-policy",
      params: {},
      plan: plan(1),
      requestedBy: "UREQ",
      requestedAt: new Date(),
      expiresAt: new Date(Date.now() + 3600_000),
      state: "pending",
    };
    type Button = { action_id?: string; confirm?: unknown; text?: { text: string } };
    const approve = (m: { blocks: unknown[] }) =>
      (m.blocks as { elements?: Button[] }[]).flatMap((b) => b.elements ?? []).find((e) => e.action_id === "remediation_approve");
    const admin = approve(requestMessage(req, plan(1)));
    expect(admin?.confirm).toBeUndefined();
    expect(admin?.text?.text).toBe("Review and approve…");
    const { adminReasons: _a, ...ordinary } = plan(1);
    expect(approve(requestMessage(req, ordinary))?.confirm).toBeDefined();

    const dialog = adminConfirmModal(req, plan(1));
    expect(dialog.callback_id).toBe("remediation_admin_confirm");
    expect(dialog.private_metadata).toBe("req-2");
    expect(JSON.stringify(dialog.blocks)).toContain('"text":"I understand this grants admin-level access"');
    expect(validateBlocks(dialog.blocks as never, { maxBlocks: 100, maxTotalChars: 250_000 })).toEqual([]);
    noRawControl(dialog.blocks);

    const refused = requestMessage({ ...req, state: "refused", decidedBy: "UAPP", decidedAt: new Date() }, plan(1));
    expect(JSON.stringify(refused.blocks)).not.toContain("remediation_approve");
    expect(JSON.stringify(refused.blocks)).toContain("refused before any change");
  });

  test("a refusal for drift says IAM changed, lists each difference escaped, and that nothing was changed", () => {
    const p = plan(1);
    const result: ExecutionResult = {
      ok: false,
      done: [],
      notDone: p.calls,
      verification: { ok: false, details: [] },
      summary: "s",
      refused: "what the plan was approved for has changed",
      drift: [`policy ${HOSTILE}: DefaultVersionId was v1, is now v2`],
    };
    const msg = outcomeMessage(p, result, "UAPP");
    expect(msg.text).toMatch(/^Remediation refused: /);
    const text = mrkdwnTexts(msg.blocks).join("\n");
    expect(text).toContain("IAM changed since the request was made");
    expect(text).toContain("Nothing was changed in IAM");
    expect(text).toContain("DefaultVersionId was v1, is now v2");
    noRawControl(msg.blocks);
  });

  test("a failed execution reports the AWS error and what was and was not done", () => {
    const p = plan(1);
    const result: ExecutionResult = {
      ok: false,
      done: [p.calls[0]!],
      failed: { call: p.calls[1]!, errorName: "LimitExceeded", message: `Cannot exceed quota ${HOSTILE}` },
      notDone: p.calls.slice(2),
      verification: { ok: false, details: ["profile has no role"] },
      summary: "s",
    };
    const msg = outcomeMessage(p, result, "UAPP");
    expect(validateMessage(msg)).toEqual([]);
    const json = JSON.stringify(msg.blocks);
    expect(json).toContain("LimitExceeded");
    expect(json).toContain("Not done");
    noRawControl(msg.blocks);
  });

  test("escalation post and modal: mention, safe link, escaped note", () => {
    const post = escalationPost(alert, "UESC", `note ${HOSTILE}`, "https://x.slack.com/archives/C1/p11", "SONCALL");
    expect(validateMessage(post)).toEqual([]);
    const json = JSON.stringify(post.blocks);
    expect(json).toContain("<!subteam^SONCALL>");
    expect(json).toContain("<https://x.slack.com/archives/C1/p11|View alert>");
    noRawControl(post.blocks);
    // A permalink that is not a plain URL is dropped rather than rendered.
    expect(JSON.stringify(escalationPost(alert, "UESC", "", "https://x|fake>", undefined).blocks)).not.toContain("View alert");
    expect(validateBlocks(escalateModal(alert).blocks as never, { maxBlocks: 100 })).toEqual([]);
  });

  test("modal metadata round-trips and junk is rejected", () => {
    expect(decodeOrNull(ModalMetadata, ModalMetadata.encode({ eventId: "ev-1" }))).toEqual({ eventId: "ev-1" });
    expect(JSON.parse(String(escalateModal(alert).private_metadata))).toEqual({ eventId: alert.eventId });
    for (const junk of [undefined, "", "{", "[]", '{"eventId":5}', "null", '{"eventId":""}', '{"eventId":"e","extra":1}']) expect(decodeOrNull(ModalMetadata, junk)).toBeNull();
  });
});
