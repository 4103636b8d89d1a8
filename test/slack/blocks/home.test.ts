// The App Home builder: open alerts with the alert buttons, 7-day counts, the last audit; within 100
// blocks and the character budget whatever the store holds; AWS-provided names escaped.
import type { KnownBlock } from "@slack/types";
import { describe, expect, test } from "vitest";
import type { AuditFinding, AuditReport } from "../../../src/audit/types.js";
import type { IamEvent } from "../../../src/domain.js";
import type { AlertRecord, StatusCounts } from "../../../src/store/types.js";
import { ActionIds } from "../../../src/slack/action-ids.js";
import { buildHomeView, decodeStoredReport, HOME_MAX_ALERTS, homeErrorView } from "../../../src/slack/blocks/home.js";
import { validateBlocks } from "../../../src/slack/blocks/limits.js";
import { visibleTexts } from "../../support/slack-helpers.js";

const NOW = new Date("2026-03-01T12:00:00Z");
const ZERO: StatusCounts = { open: 0, acknowledged: 0, escalated: 0, remediated: 0, muted: 0 };

function alert(i: number, evOver: Partial<IamEvent> = {}, over: Partial<AlertRecord> = {}): AlertRecord {
  const id = `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`;
  const event: IamEvent = {
    eventId: id,
    eventName: "RemoveRoleFromInstanceProfile",
    eventSource: "iam.amazonaws.com",
    eventTime: new Date(NOW.getTime() - i * 60_000),
    awsRegion: "us-east-1",
    accountId: "123456789012",
    actor: { type: "IAMUser", arn: "arn:aws:iam::123456789012:user/alice", userName: "alice", mfaAuthenticated: false },
    sourceIp: "203.0.113.7",
    userAgent: "aws-cli/2",
    client: "cli",
    requestParameters: { instanceProfileName: "web", roleName: "web-role" },
    resources: [
      { kind: "instance-profile", label: "Instance profile", value: "web" },
      { kind: "role", label: "Role", value: "web-role" },
    ],
    ...evOver,
  };
  return {
    eventId: id,
    eventName: event.eventName,
    severity: "high",
    severityReason: "test",
    outcome: "success",
    event,
    eventTime: event.eventTime,
    detectedAt: NOW,
    muted: false,
    delivery: "posted",
    postAttempts: 1,
    nextAttemptAt: NOW,
    channelId: "CALERTS01",
    messageTs: "1700000000.000100",
    status: "open",
    ...over,
  };
}

function finding(i: number, over: Partial<AuditFinding> = {}): AuditFinding {
  return {
    id: `user-no-mfa:u${i}`,
    check: "console-users-mfa",
    severity: "high",
    title: `Console user u${i} has no MFA`,
    detail: `IAM user u${i} has a console password but no active MFA device.`,
    resource: { type: "user", name: `u${i}` },
    ...over,
  };
}

/** As the store gives it back: JSON, so dates are strings. */
function stored(report: AuditReport): { at: Date; report: unknown } {
  return { at: report.generatedAt, report: JSON.parse(JSON.stringify(report)) as unknown };
}

function auditReport(findings: AuditFinding[], errors: AuditReport["errors"] = []): AuditReport {
  return { generatedAt: new Date(NOW.getTime() - 3600_000), findings, errors, checksRun: ["password-policy", "root-account", "console-users-mfa", "access-keys", "cloudtrail"], clean: findings.length === 0 && errors.length === 0 };
}

const texts = (blocks: readonly unknown[]): string => visibleTexts(blocks).join("\n");

function buttons(blocks: readonly unknown[]): { action_id: string; value: string }[] {
  return (blocks as KnownBlock[]).flatMap((b) => (b.type === "actions" ? (b.elements as { type: string; action_id: string; value: string }[]).filter((e) => e.type === "button") : []));
}

describe("buildHomeView", () => {
  test("an empty store: counts, no open alerts, no audit yet", () => {
    const view = buildHomeView({ openAlerts: [], openTotal: 0, counts7d: ZERO, lastAudit: null, now: NOW });
    expect(view.type).toBe("home");
    expect(validateBlocks(view.blocks, { maxBlocks: 100 })).toEqual([]);
    const t = texts(view.blocks);
    expect(t).toContain("*Alerts of the last 7 days by status* (0)");
    expect(t).toContain("No open alerts.");
    expect(t).toContain("No audit yet — run `/iam-audit`.");
    expect(buttons(view.blocks)).toEqual([]);
  });

  test("open alerts newest first with the alert buttons (value = event id), counts, the last audit", () => {
    const alerts = [alert(1), alert(2, { eventName: "DeleteRole", resources: [{ kind: "role", label: "Role", value: "app-role" }] }, { eventName: "DeleteRole", severity: "critical" })];
    const view = buildHomeView({
      openAlerts: alerts,
      openTotal: 2,
      counts7d: { open: 2, acknowledged: 1, escalated: 1, remediated: 3, muted: 4 },
      lastAudit: stored(auditReport([finding(1, { severity: "critical", title: "No multi-region trail is logging", check: "cloudtrail" }), finding(2)])),
      now: NOW,
    });
    expect(validateBlocks(view.blocks, { maxBlocks: 100 })).toEqual([]);
    const t = texts(view.blocks);
    expect(t).toContain("*Open alerts* (2), newest first");
    expect(t).toContain("*RemoveRoleFromInstanceProfile* (high)");
    expect(t).toContain("`web-role`");
    expect(t).toContain("🆕 Open *2* · 👀 Acknowledged *1* · 📣 Escalated *1* · ✅ Remediated *3* · 🔇 Muted *4*");
    expect(t).toContain("(11)");
    expect(t).toContain("*2 findings* (🔴 1 critical · 🟠 1 high)");
    expect(t).toContain("No multi-region trail is logging");
    expect(t).toContain("Console user u2 has no MFA");
    expect(t.indexOf("RemoveRoleFromInstanceProfile")).toBeLessThan(t.indexOf("DeleteRole"));
    const b = buttons(view.blocks);
    expect(b.map((x) => x.action_id)).toEqual([
      ActionIds.acknowledge, ActionIds.escalate, ActionIds.remediate,
      ActionIds.acknowledge, ActionIds.escalate, ActionIds.remediate,
    ]);
    expect(b.map((x) => x.value)).toEqual([...Array(3).fill(alerts[0]!.eventId), ...Array(3).fill(alerts[1]!.eventId)]);
  });

  test("many open alerts: at most 15 shown, the rest counted", () => {
    const alerts = Array.from({ length: HOME_MAX_ALERTS }, (_, i) => alert(i));
    const view = buildHomeView({ openAlerts: alerts, openTotal: 40, counts7d: { ...ZERO, open: 40 }, lastAudit: null, now: NOW });
    expect(validateBlocks(view.blocks, { maxBlocks: 100 })).toEqual([]);
    expect(buttons(view.blocks).filter((x) => x.action_id === ActionIds.acknowledge)).toHaveLength(15);
    expect(texts(view.blocks)).toContain("…25 more open alerts not shown");
  });

  test("huge, hostile values stay within 100 blocks and the character budget, escaped, and what is left out is counted", () => {
    const evil = "<!channel>".repeat(200);
    const alerts = Array.from({ length: HOME_MAX_ALERTS }, (_, i) =>
      alert(i, {
        actor: { type: "IAMUser", arn: `arn:aws:iam::123456789012:user/${"a".repeat(1800)}<!here>`, mfaAuthenticated: null },
        resources: [1, 2, 3].map((n) => ({ kind: "role", label: "Role", value: `${evil}${n}` })),
      }),
    );
    const report = auditReport(Array.from({ length: 300 }, (_, i) => finding(i, { title: `Console user ${evil} ${i} has no MFA`, detail: evil })));
    const view = buildHomeView({ openAlerts: alerts, openTotal: 15, counts7d: ZERO, lastAudit: stored(report), now: NOW });
    expect(validateBlocks(view.blocks, { maxBlocks: 100 })).toEqual([]);
    const t = texts(view.blocks);
    expect(t).not.toContain("<!channel>");
    expect(t).not.toContain("<!here>");
    expect(t).toContain("&lt;!channel&gt;");
    const shown = buttons(view.blocks).filter((x) => x.action_id === ActionIds.acknowledge).length;
    expect(shown).toBeGreaterThan(0);
    if (shown < 15) expect(t).toContain(`…${15 - shown} more open alert`);
    expect(t).toMatch(/…\d+ more not shown\. Run `\/iam-audit`/);
  });

  test("a last audit that is clean, or has errors", () => {
    const clean = buildHomeView({ openAlerts: [], openTotal: 0, counts7d: ZERO, lastAudit: stored(auditReport([])), now: NOW });
    expect(texts(clean.blocks)).toMatch(/✅ Clean at <!date\^\d+\^/);
    const withErrors = buildHomeView({
      openAlerts: [],
      openTotal: 0,
      counts7d: ZERO,
      lastAudit: stored(auditReport([], [{ check: "cloudtrail", api: "DescribeTrails", errorName: "AccessDeniedException", message: "no", missingPermission: "cloudtrail:DescribeTrails" }])),
      now: NOW,
    });
    expect(texts(withErrors.blocks)).toContain("⚠️ 1 check step could not complete");
  });
});

describe("decodeStoredReport", () => {
  test("a report that names its account shows it on the Home tab, escaped", () => {
    const view = buildHomeView({ openAlerts: [], openTotal: 0, counts7d: ZERO, lastAudit: stored({ ...auditReport([]), accountId: "444455556666", accountName: "payments <prod>" }), now: NOW });
    expect(texts(view.blocks)).toContain("Account: *payments &lt;prod&gt;* `444455556666`");
    expect(texts(buildHomeView({ openAlerts: [], openTotal: 0, counts7d: ZERO, lastAudit: stored(auditReport([])), now: NOW }).blocks)).not.toContain("Account:");
  });

  test("reads a stored report and skips malformed findings", () => {
    const s = decodeStoredReport({
      at: NOW,
      report: { generatedAt: "2026-02-28T10:00:00.000Z", findings: [{ id: "a", check: "root-account", severity: "critical", title: "Root user has no MFA", detail: "d" }, { severity: "nope", title: "x" }, null, "str", { severity: "low" }], errors: [{ check: "access-keys", api: "ListUsers", errorName: "AccessDenied", message: "m", missingPermission: "iam:ListUsers" }, 7] },
    });
    expect(s?.at.toISOString()).toBe("2026-02-28T10:00:00.000Z");
    expect(s?.findings.map((f) => f.title)).toEqual(["Root user has no MFA"]);
    expect(s?.errors).toEqual([{ check: "access-keys", api: "ListUsers", errorName: "AccessDenied", message: "m", missingPermission: "iam:ListUsers" }]);
    expect(s?.clean).toBe(false);
  });

  test.each([null, 5, "x", []])("garbage %j is not a report", (report) => {
    expect(decodeStoredReport({ at: NOW, report })).toBeNull();
    const view = buildHomeView({ openAlerts: [], openTotal: 0, counts7d: ZERO, lastAudit: { at: NOW, report }, now: NOW });
    expect(texts(view.blocks)).toContain("could not be read");
    expect(validateBlocks(view.blocks, { maxBlocks: 100 })).toEqual([]);
  });

  test("a missing generatedAt falls back to the time it was saved", () => {
    expect(decodeStoredReport({ at: NOW, report: { findings: [] } })?.at).toEqual(NOW);
  });
});

describe("homeErrorView", () => {
  test("is valid and escapes the message", () => {
    const v = homeErrorView("<!channel> broke");
    expect(validateBlocks(v.blocks, { maxBlocks: 100 })).toEqual([]);
    expect(texts(v.blocks)).not.toContain("<!channel>");
  });
});
