// Pure builders of /iam-audit: parsing, escaping of AWS-provided names, splitting into messages within
// Slack's limits (5 response_url posts at most, nothing silently dropped), help, status counts, and the
// Remediate button value.
import type { SectionBlock } from "@slack/types";
import { describe, expect, test } from "vitest";
import { evaluateAccessKey } from "../../../src/audit/index.js";
import type { AuditCheckError, AuditFinding, AuditReport, UserPostureFound } from "../../../src/audit/types.js";
import type { IamEvent } from "../../../src/domain.js";
import type { ActionRecord, AlertRecord, StatusCounts } from "../../../src/store/types.js";
import { ActionIds } from "../../../src/slack/action-ids.js";
import { AuditRemediateValue, decodeOrNull } from "../../../src/slack/payloads.js";
import {
  accountProblemMessage,
  actionLine,
  alertLine,
  auditReportMessages,
  encodeRemediateValue,
  eventsMessages,
  findingPieces,
  HELP_LINES,
  helpMessage,
  logMessages,
  MAX_RESPONSES,
  paginate,
  parseCommand,
  parseWindow,
  safeLink,
  statusCountsLine,
  unknownSubcommandMessage,
  unreachableMessage,
  userMessages,
  type SlackMessage,
} from "../../../src/slack/blocks/audit.js";
import { LIMITS, validateMessage } from "../../../src/slack/blocks/limits.js";
import { allText as messageText, buttonsIn, visibleTexts } from "../../support/slack-helpers.js";

const DAY = 86_400_000;
const NOW = new Date("2026-03-01T12:00:00Z");
const ZERO: StatusCounts = { open: 0, acknowledged: 0, escalated: 0, remediated: 0, muted: 0 };

// ---------------------------------------------------------------------------------------------- fixtures

function noMfa(user: string): AuditFinding {
  return {
    id: `user-no-mfa:${user}`,
    check: "console-users-mfa",
    severity: "high",
    title: `Console user ${user} has no MFA`,
    detail: `IAM user ${user} has a console password but no active MFA device (no console sign-in recorded). Enable MFA for the user, or delete the login profile if console access is not needed.`,
    resource: { type: "user", name: user },
  };
}

function unusedKey(user: string, key: string): AuditFinding {
  return {
    id: `access-key-unused:${key}`,
    check: "access-keys",
    severity: "medium",
    title: `Access key ${key} of ${user} has never been used`,
    detail: `Active access key ${key} of IAM user ${user} has never been used; created 2025-01-01 (400 days ago). Keys not used within 7 days of creation should be deactivated, then deleted.`,
    resource: { type: "access-key", name: key },
    remediation: { id: "deactivate-access-key", params: { userName: user, accessKeyId: key } },
  };
}

const POLICY_MISSING: AuditFinding = {
  id: "password-policy:missing",
  check: "password-policy",
  severity: "high",
  title: "No account password policy",
  detail: "The account has no password policy: minimum length 14 ...",
  resource: { type: "password-policy", name: "account password policy" },
  remediation: { id: "enforce-password-policy", params: {} },
};

function report(findings: AuditFinding[], errors: AuditCheckError[] = []): AuditReport {
  return {
    generatedAt: NOW,
    findings,
    errors,
    checksRun: ["password-policy", "root-account", "console-users-mfa", "access-keys", "cloudtrail"],
    clean: findings.length === 0 && errors.length === 0,
  };
}

function ev(over: Partial<IamEvent> = {}): IamEvent {
  return {
    eventId: "e-1",
    eventName: "DeleteRole",
    eventSource: "iam.amazonaws.com",
    eventTime: new Date(NOW.getTime() - 3600_000),
    awsRegion: "us-east-1",
    accountId: "123456789012",
    actor: { type: "IAMUser", arn: "arn:aws:iam::123456789012:user/alice", userName: "alice", mfaAuthenticated: false },
    sourceIp: "203.0.113.7",
    userAgent: "aws-cli/2",
    client: "cli",
    requestParameters: { roleName: "app-role" },
    resources: [{ kind: "role", label: "Role", value: "app-role" }],
    ...over,
  };
}

function alert(i: number, over: Partial<AlertRecord> = {}, evOver: Partial<IamEvent> = {}): AlertRecord {
  const id = `00000000-0000-4000-8000-${String(i).padStart(12, "0")}`;
  const event = ev({ eventId: id, ...evOver });
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
    messageTs: `1700000000.${String(i).padStart(6, "0")}`,
    status: "open",
    ...over,
  };
}

function action(i: number, over: Partial<ActionRecord> = {}): ActionRecord {
  return {
    id: i,
    at: new Date(NOW.getTime() - i * 60_000),
    actor: "U0ALICE",
    action: "acknowledge",
    alertEventId: `ev-${i}`,
    requestId: null,
    result: "ok",
    detail: {},
    ...over,
  };
}

// ---------------------------------------------------------------------------------------------- helpers

/** Every string in the messages' blocks and texts. */
const allText = (msgs: SlackMessage[]): string => msgs.map(messageText).join("\n");

/** Every text Slack displays (fallback text, text objects), but not button values. */
const displayed = (msgs: SlackMessage[]): string => msgs.flatMap((m) => [m.text, ...visibleTexts(m.blocks)]).join("\n");

function expectValid(msgs: SlackMessage[]): void {
  expect(msgs.length).toBeGreaterThan(0);
  expect(msgs.length).toBeLessThanOrEqual(MAX_RESPONSES);
  for (const [i, m] of msgs.entries()) {
    expect(validateMessage(m), `message ${i + 1}`).toEqual([]);
    expect(m.blocks.length).toBeLessThanOrEqual(LIMITS.messageBlocks);
  }
}

/** "…N more … not shown" in the last message, or 0. */
function moreCount(msgs: SlackMessage[]): number {
  const m = /…(\d+) more [a-z ]+ not shown/.exec(JSON.stringify(msgs[msgs.length - 1]?.blocks ?? []));
  return m ? Number(m[1]) : 0;
}

function countMatches(text: string, re: RegExp): number {
  return (text.match(re) ?? []).length;
}

const buttonsOf = buttonsIn;

// ---------------------------------------------------------------------------------------------- parsing

describe("parseCommand", () => {
  test.each([
    ["", { sub: "report", args: "", public: false }],
    ["   ", { sub: "report", args: "", public: false }],
    ["public", { sub: "report", args: "", public: true }],
    ["events", { sub: "events", args: "", public: false }],
    ["events 7d", { sub: "events", args: "7d", public: false }],
    ["EVENTS 7d public", { sub: "events", args: "7d", public: true }],
    ["public events 30d", { sub: "events", args: "30d", public: true }],
    ["user alice", { sub: "user", args: "alice", public: false }],
    ["user arn:aws:iam::123456789012:user/eng/alice public", { sub: "user", args: "arn:aws:iam::123456789012:user/eng/alice", public: true }],
    ["user public", { sub: "user", args: "public", public: false }],
    ["user public public", { sub: "user", args: "public", public: true }],
    ["report", { sub: "report", args: "", public: false }],
    ["report payments-prod public", { sub: "report", args: "payments-prod", public: true }],
    ["REPORT 444455556666", { sub: "report", args: "444455556666", public: false }],
    ["user alice payments prod", { sub: "user", args: "alice payments prod", public: false }],
    ["log", { sub: "log", args: "", public: false }],
    ["help", { sub: "help", args: "", public: false }],
    ["frobnicate now", { sub: "unknown", args: "now", public: false, word: "frobnicate" }],
  ])("%j", (text, expected) => {
    expect(parseCommand(text)).toMatchObject(expected);
  });
});

describe("parseWindow", () => {
  test.each([
    ["", 24, "24h"],
    ["24h", 24, "24h"],
    ["7d", 168, "7d"],
    ["30d", 720, "30d"],
    ["12h", 12, "12h"],
    ["3D", 72, "3d"],
    ["365d", 8760, "365d"],
  ])("%j is %i hours", (arg, hours, label) => {
    expect(parseWindow(arg)).toMatchObject({ ok: true, hours, label });
  });
  test.each(["0h", "-1d", "7w", "d", "1.5h", "abc", "366d", "9000h", "<!channel>"])("%j is refused", (arg) => {
    const w = parseWindow(arg);
    expect(w.ok).toBe(false);
    if (!w.ok) expect(w.error).not.toContain("<!channel>");
  });
});

// ---------------------------------------------------------------------------------------------- escaping

describe("escaping of AWS-provided names", () => {
  const evil = "<!channel>";
  test("a user named <!channel> in a finding, a posture, an alert and the log never pings", () => {
    const msgs = [
      ...auditReportMessages(report([noMfa(evil), unusedKey(evil, "AKIA<@U123>")]), ZERO),
      ...eventsMessages({
        alerts: [alert(1, { mutedReason: "<!here> muted", muted: true }, { actor: { type: "IAMUser", arn: `arn:aws:iam::1:user/${evil}`, userName: evil, mfaAuthenticated: null }, resources: [{ kind: "role", label: "Role", value: "<https://evil|AWS>" }] })],
        permalinks: new Map(),
        counts: { ...ZERO, muted: 1 },
        window: { label: "24h", phrase: "the last 24 hours" },
      }),
      ...userMessages({
        query: evil,
        posture: { exists: false, query: evil, reason: "invalid-name" },
        alerts: [],
        permalinks: new Map(),
        window: { label: "30d", phrase: "the last 30 days" },
        now: NOW,
      }),
      ...logMessages([action(1, { actor: evil, action: "<!everyone>", detail: { reason: "<!subteam^S1>" } })], 50),
      unknownSubcommandMessage("<!channel>"),
    ];
    const text = displayed(msgs);
    for (const bad of ["<!channel>", "<!here>", "<!everyone>", "<!subteam", "<@U123>", "<https://evil"]) expect(text).not.toContain(bad);
    expect(text).toContain("&lt;!channel&gt;");
    for (const m of msgs) expect(validateMessage(m)).toEqual([]);
  });

  test("only plain http(s) permalinks become links", () => {
    expect(safeLink("https://acme.slack.com/archives/C1/p1700000000000100", "view")).toBe("<https://acme.slack.com/archives/C1/p1700000000000100|view>");
    expect(safeLink("https://x/archives/C1/p1?thread_ts=1&cid=C1", "view")).toBe("<https://x/archives/C1/p1?thread_ts=1&amp;cid=C1|view>");
    expect(safeLink("javascript:alert(1)", "view")).toBe("");
    expect(safeLink("https://evil|Click here", "view")).toBe("");
    expect(safeLink("https://a b", "view")).toBe("");
    expect(safeLink(null, "view")).toBe("");
  });
});

// ---------------------------------------------------------------------------------------------- the report

describe("auditReportMessages", () => {
  test("names the account audited (its name escaped) and says the alert counts cover every account", () => {
    const msgs = auditReportMessages(report([noMfa("alice")]), ZERO, { reportId: 3, account: { id: "444455556666", name: "pay*ments <!here>" } });
    expectValid(msgs);
    const text = allText(msgs);
    expect(text).toContain("*Account:* *pay*ments &lt;!here&gt;* `444455556666`");
    expect(text).toContain("by status* (every watched account)");
    const plain = allText(auditReportMessages(report([noMfa("alice")]), ZERO, { reportId: 3 }));
    expect(plain).not.toContain("Account:");
    expect(plain).not.toContain("every watched account");
  });

  test("groups findings by check with severity, title and detail; one Remediate button per distinct fix", () => {
    const weak = ["min-length", "max-age", "require-symbols"].map<AuditFinding>((k) => ({ ...POLICY_MISSING, id: `password-policy:${k}`, title: `Weak ${k}` }));
    const msgs = auditReportMessages(report([noMfa("alice"), ...weak, unusedKey("bob", "AKIAAAAAAAAAAAAAAAA1")]), { ...ZERO, open: 2, muted: 1 }, { reportId: 7 });
    expectValid(msgs);
    expect(msgs).toHaveLength(1);
    const text = allText(msgs);
    expect(text).toContain("*Password policy* — 3 findings");
    expect(text).toContain("*Console users without MFA* — 1 finding");
    expect(text).toContain("*Access keys* — 1 finding");
    expect(text).toContain("🟠 *Console user alice has no MFA*");
    expect(text).toContain("IAM user alice has a console password");
    expect(text).toContain("IAM deletion alerts of the last 24 hours by status");
    expect(text).toContain("Open *2*");
    expect(text).toContain("Muted *1*");
    const buttons = buttonsOf(msgs[0]!.blocks);
    expect(buttons.map((b) => b.action_id)).toEqual([ActionIds.auditRemediate, ActionIds.auditRemediate]);
    // The buttons name the stored report and the finding; the fix itself is read back from the store.
    expect(buttons.map((b) => decodeOrNull(AuditRemediateValue, b.value))).toEqual([
      { report: 7, finding: "password-policy:min-length" },
      { report: 7, finding: "access-key-unused:AKIAAAAAAAAAAAAAAAA1" },
    ]);
    expect(buttons.map((b) => b.value).join(" ")).not.toMatch(/enforce-password-policy|deactivate-access-key|userName/);
    expect(text).toContain("Fixed by the same remediation as “Weak min-length”");
  });

  test("a clean account says so", () => {
    const msgs = auditReportMessages(report([]), ZERO);
    expectValid(msgs);
    expect(allText(msgs)).toContain("✅ *Clean*: no findings, and all 5 checks ran");
    expect(msgs[0]!.text).toBe("IAM audit: clean");
  });

  test("errors name the permission the bot lacks", () => {
    const msgs = auditReportMessages(
      report([], [
        { check: "console-users-mfa", api: "GenerateCredentialReport", errorName: "AccessDenied", message: "User: x is not authorized to perform: iam:GenerateCredentialReport", missingPermission: "iam:GenerateCredentialReport" },
        { check: "console-users-mfa", api: "GetCredentialReport", errorName: "ReportInProgress", message: "Report <is> being generated" },
      ]),
      ZERO,
    );
    expectValid(msgs);
    const text = allText(msgs);
    expect(text).toContain("AWS denied `iam:GenerateCredentialReport` — add it to the bot's policy");
    expect(text).toContain("`GetCredentialReport` failed with `ReportInProgress`: Report &lt;is&gt; being generated");
    expect(text).toContain("not known to be clean");
  });

  test("old and unused keys (age logic with an injected clock) are rendered with their age", () => {
    const created = new Date(NOW.getTime() - 400 * DAY);
    const old = evaluateAccessKey("carol", { accessKeyId: "AKIAOLDOLDOLDOLDOLD1", status: "Active", created, lastUsedDate: new Date(NOW.getTime() - 2 * DAY), lastUsedService: "s3" }, NOW);
    const idle = evaluateAccessKey("dave", { accessKeyId: "AKIAIDLEIDLEIDLEIDL1", status: "Active", created, lastUsedDate: new Date(NOW.getTime() - 120 * DAY) }, NOW);
    const fresh = evaluateAccessKey("erin", { accessKeyId: "AKIAFRESHFRESHFRESH1", status: "Active", created: new Date(NOW.getTime() - 2 * DAY) }, NOW);
    expect(fresh).toEqual([]); // never used but inside the 7-day grace period
    const msgs = auditReportMessages(report([...old, ...idle]), ZERO, { reportId: 3 });
    expectValid(msgs);
    const text = allText(msgs);
    expect(text).toContain("Access key AKIAOLDOLDOLDOLDOLD1 of carol is 400 days old");
    expect(text).toContain("Access key AKIAIDLEIDLEIDLEIDL1 of dave unused for 120 days");
    expect(buttonsOf(msgs[0]!.blocks)).toHaveLength(2);
  });

  test("120 findings: several messages, all within limits, every finding named, nothing cut", () => {
    const findings = Array.from({ length: 120 }, (_, i) => noMfa(`user-${String(i).padStart(3, "0")}`));
    const msgs = auditReportMessages(report([POLICY_MISSING, ...findings]), ZERO);
    expectValid(msgs);
    expect(msgs.length).toBeGreaterThan(1);
    expect(moreCount(msgs)).toBe(0);
    const text = allText(msgs);
    for (let i = 0; i < 120; i++) expect(text).toContain(`Console user user-${String(i).padStart(3, "0")} has no MFA`);
    expect(msgs[1]!.text).toMatch(/\(part 2 of \d\)$/);
  });

  test("500 findings: at most 5 messages within limits, and the rest counted in a final line", () => {
    const findings: AuditFinding[] = [];
    for (let i = 0; i < 250; i++) findings.push(noMfa(`u${i}`));
    for (let i = 0; i < 250; i++) findings.push(unusedKey(`k${i}`, `AKIA${String(i).padStart(16, "0")}`));
    const msgs = auditReportMessages(report(findings), ZERO);
    expectValid(msgs);
    expect(msgs).toHaveLength(5);
    const text = allText(msgs);
    const shown = countMatches(text, /Console user u\d+ has no MFA/g) + countMatches(text, /Access key AKIA\d{16} of k\d+ has never been used/g);
    const more = moreCount(msgs);
    expect(more).toBeGreaterThan(0);
    expect(shown + more).toBe(500);
    expect(JSON.stringify(msgs[4]!.blocks)).toContain("narrow the query");
  });

  test("a finding list that fits in one message is one message", () => {
    const msgs = auditReportMessages(report([noMfa("a"), noMfa("b")]), ZERO);
    expect(msgs).toHaveLength(1);
    expect(allText(msgs)).not.toContain("Part 1 of");
  });
});

describe("paginate", () => {
  test("a group heading never ends a message without its content", () => {
    const pieces = findingPieces(Array.from({ length: 60 }, (_, i) => unusedKey(`u${i}`, `AKIA${String(i).padStart(16, "0")}`)), 1);
    const msgs = paginate({ title: "t", head: [], pieces, noun: "findings", hint: "x" });
    expectValid(msgs);
    for (const m of msgs) {
      const last = m.blocks[m.blocks.length - 1] as SectionBlock;
      expect(last.text?.text ?? "").not.toMatch(/— \d+ findings?$/);
    }
  });

  test("maxMessages 1 puts everything that does not fit in the overflow line", () => {
    const lines = Array.from({ length: 300 }, (_, i) => ({ kind: "line" as const, text: `line ${i} ${"x".repeat(100)}`, items: 1 }));
    const msgs = paginate({ title: "t", head: [], pieces: lines, noun: "lines", hint: "`x`", maxMessages: 1, notFetched: 7 });
    expectValid(msgs);
    expect(msgs).toHaveLength(1);
    const shown = countMatches(allText(msgs), /line \d+ x/g);
    expect(shown + moreCount(msgs)).toBe(307);
  });
});

// ---------------------------------------------------------------------------------------------- the button value

describe("Remediate button value", () => {
  test("names the stored report and the finding only, round-trips and stays within 2000 characters", () => {
    const f = unusedKey("bob", "AKIAAAAAAAAAAAAAAAA1");
    const v = encodeRemediateValue(12, f);
    expect(v).not.toBeNull();
    expect(v!.length).toBeLessThanOrEqual(LIMITS.buttonValue);
    expect(JSON.parse(v!)).toEqual({ report: 12, finding: f.id });
    expect(decodeOrNull(AuditRemediateValue, v)).toEqual({ report: 12, finding: f.id });
    expect(encodeRemediateValue(12, noMfa("x"))).toBeNull();
    // No stored report, no button.
    expect(encodeRemediateValue(null, f)).toBeNull();
    const huge: AuditFinding = { ...POLICY_MISSING, id: "x".repeat(3000) };
    expect(encodeRemediateValue(12, huge)).toBeNull();
  });

  test("an answer whose report could not be stored shows its findings without Remediate buttons", () => {
    const msgs = auditReportMessages(report([POLICY_MISSING]), ZERO, { reportId: null });
    expect(msgs.flatMap((m) => buttonsOf(m.blocks))).toEqual([]);
    expect(allText(msgs)).toContain(POLICY_MISSING.title);
  });

  test.each([
    undefined,
    42,
    "",
    "not json",
    "[]",
    "null",
    JSON.stringify({ report: 1 }),
    JSON.stringify({ finding: "x" }),
    JSON.stringify({ report: "1", finding: "x" }),
    JSON.stringify({ report: 0, finding: "x" }),
    JSON.stringify({ report: 1.5, finding: "x" }),
    JSON.stringify({ report: 1, finding: "" }),
    // The old format, and any attempt to smuggle a remediation or parameters in: refused, not ignored.
    JSON.stringify({ f: "x", r: "enforce-password-policy", p: {} }),
    JSON.stringify({ report: 1, finding: "x", r: "deactivate-access-key" }),
    JSON.stringify({ report: 1, finding: "x", p: { userName: "root" } }),
    JSON.stringify({ report: 1, finding: "x".repeat(2100) }),
  ])("rejects %j", (raw) => {
    expect(decodeOrNull(AuditRemediateValue, raw)).toBeNull();
  });
});

// ---------------------------------------------------------------------------------------------- events

describe("eventsMessages", () => {
  const window = { label: "24h", phrase: "the last 24 hours" };

  test("status, severity, event name, actor, time, link; muted alerts with their reason", () => {
    const a = alert(1);
    const muted = alert(2, { muted: true, mutedReason: "MUTE_PRINCIPALS matches arn:aws:iam::123456789012:role/ci", delivery: "muted", channelId: undefined, messageTs: undefined });
    const acked = alert(3, { status: "acknowledged", delivery: "pending", channelId: undefined, messageTs: undefined }, { eventName: "DeleteUser", resources: [] });
    const msgs = eventsMessages({
      alerts: [a, muted, acked],
      permalinks: new Map([[a.eventId, "https://acme.slack.com/archives/CALERTS01/p1700000000000001"]]),
      counts: { ...ZERO, open: 1, acknowledged: 1, muted: 1 },
      window,
    });
    expectValid(msgs);
    const text = allText(msgs);
    expect(text).toContain("*3 alerts* in the last 24 hours");
    expect(text).toContain("🆕 *open* · 🟠 high · `DeleteRole` by `arn:aws:iam::123456789012:user/alice` on Role `app-role`");
    expect(text).toContain("<https://acme.slack.com/archives/CALERTS01/p1700000000000001|view alert>");
    expect(text).toContain("🔇 *muted*");
    expect(text).toContain("_muted: MUTE_PRINCIPALS matches arn:aws:iam::123456789012:role/ci_");
    expect(text).toContain("👀 *acknowledged*");
    expect(text).toContain("_not posted yet_");
    expect(text).toContain("<!date^");
  });

  test("no alerts", () => {
    const msgs = eventsMessages({ alerts: [], permalinks: new Map(), counts: ZERO, window: { label: "7d", phrase: "the last 7 days" } });
    expectValid(msgs);
    expect(allText(msgs)).toContain("No IAM deletion alerts in the last 7 days.");
  });

  test("500 alerts (250 fetched): at most 5 messages, the rest counted with a narrower query", () => {
    const alerts = Array.from({ length: 250 }, (_, i) =>
      alert(i, {}, { actor: { type: "AssumedRole", arn: `arn:aws:sts::123456789012:assumed-role/${"deployer".repeat(10)}/session-${i}`, mfaAuthenticated: null } }),
    );
    const permalinks = new Map(alerts.map((a) => [a.eventId, `https://acme.slack.com/archives/CALERTS01/p${a.messageTs!.replace(".", "")}`]));
    const msgs = eventsMessages({ alerts, permalinks, counts: { ...ZERO, open: 500 }, window });
    expectValid(msgs);
    expect(msgs).toHaveLength(5);
    const shown = countMatches(allText(msgs), /\|view alert>/g);
    expect(shown).toBeGreaterThan(50);
    expect(shown + moreCount(msgs)).toBe(500);
    expect(JSON.stringify(msgs[4]!.blocks)).toContain("narrow the query (e.g. `/iam-audit events 6h`)");
  });

  test("an alert line with a 2000-character ARN stays bounded", () => {
    const line = alertLine(alert(1, {}, { actor: { type: "IAMUser", arn: "a".repeat(2000), mfaAuthenticated: null } }), null);
    expect(line.length).toBeLessThan(700);
  });
});

// ---------------------------------------------------------------------------------------------- user

describe("userMessages", () => {
  const window = { label: "30d", phrase: "the last 30 days" };
  const found: UserPostureFound = {
    exists: true,
    query: "alice",
    userName: "alice",
    userId: "AIDA1",
    arn: "arn:aws:iam::123456789012:user/alice",
    path: "/",
    created: new Date(NOW.getTime() - 500 * DAY),
    consolePassword: { enabled: true, lastUsed: new Date(NOW.getTime() - DAY) },
    mfaDevices: [],
    accessKeys: [
      { accessKeyId: "AKIAUSEDUSEDUSEDUSE1", status: "Active", created: new Date(NOW.getTime() - 100 * DAY), ageDays: 100, lastUsedDate: new Date(NOW.getTime() - DAY), lastUsedService: "iam", lastUsedRegion: "us-east-1" },
      { accessKeyId: "AKIANEVERNEVERNEVER1", status: "Inactive", created: new Date(NOW.getTime() - 10 * DAY), ageDays: 10 },
    ],
    findings: [noMfa("alice")],
    errors: [],
  };

  test("a user's findings carry Remediate buttons naming the stored copy of that answer, and none without one", () => {
    const withFix: UserPostureFound = { ...found, findings: [unusedKey("alice", "AKIANEVERNEVERNEVER1")] };
    const stored = userMessages({ query: "alice", posture: withFix, alerts: [], permalinks: new Map(), window, now: NOW, reportId: 41 });
    expect(stored.flatMap((m) => buttonsOf(m.blocks)).map((b) => decodeOrNull(AuditRemediateValue, b.value))).toEqual([{ report: 41, finding: "access-key-unused:AKIANEVERNEVERNEVER1" }]);
    const unstored = userMessages({ query: "alice", posture: withFix, alerts: [], permalinks: new Map(), window, now: NOW });
    expect(unstored.flatMap((m) => buttonsOf(m.blocks))).toEqual([]);
  });

  test("credentials and deletions of a user", () => {
    const msgs = userMessages({ query: "alice", posture: found, alerts: [alert(1), alert(2, { status: "remediated" })], permalinks: new Map(), window, now: NOW });
    expectValid(msgs);
    const text = allText(msgs);
    expect(text).toContain("*IAM user `alice`*");
    expect(text).toContain("*Console password*: yes");
    expect(text).toContain("*MFA*: none ⚠️");
    expect(text).toContain("`AKIAUSEDUSEDUSEDUSE1` Active · 100 days old");
    expect(text).toContain("by `iam` in `us-east-1`");
    expect(text).toContain("`AKIANEVERNEVERNEVER1` Inactive · 10 days old");
    expect(text).toContain("Console user alice has no MFA");
    expect(text).toContain("*IAM deletions by this principal in the last 30 days* (2)");
    expect(text).toContain("✅ *remediated*");
  });

  test.each([
    ["not-found", "No IAM user `ghost` in this account"],
    ["not-a-user-arn", "is not an IAM user ARN"],
    ["invalid-name", "is not a valid IAM user name"],
  ] as const)("%s says so", (reason, expected) => {
    const msgs = userMessages({ query: "ghost", posture: { exists: false, query: "ghost", reason, ...(reason === "not-found" ? { userName: "ghost" } : {}) }, alerts: [], permalinks: new Map(), window, now: NOW });
    expectValid(msgs);
    expect(allText(msgs)).toContain(expected);
    expect(allText(msgs)).toContain("None recorded by trailwatch.");
  });

  test("a failed lookup names the missing permission", () => {
    const msgs = userMessages({
      query: "alice",
      posture: null,
      postureError: { api: "GetUser", errorName: "AccessDenied", message: "denied", missingPermission: "iam:GetUser" },
      alerts: [],
      permalinks: new Map(),
      window,
      now: NOW,
    });
    expect(allText(msgs)).toContain("Could not look up the user: AWS denied `iam:GetUser` — add it to the bot's policy");
  });
});

// ---------------------------------------------------------------------------------------------- log, help, counts

describe("logMessages", () => {
  test("who, when, action, result, alert or request", () => {
    const msgs = logMessages(
      [
        action(1, { actor: "U0BOB", action: "iam-audit", result: "refused", alertEventId: null, detail: { subcommand: "report", reason: "not a responder" } }),
        action(2, { action: "remediation-approve", requestId: "req-1", alertEventId: null }),
        action(3, { actor: "system", action: "remediation-expire" }),
      ],
      50,
    );
    expectValid(msgs);
    const text = allText(msgs);
    expect(text).toContain("<@U0BOB> · *iam-audit* · 🚫 refused · subcommand report · reason not a responder");
    expect(text).toContain("*remediation-approve* · ✅ ok · request `req-1`");
    expect(text).toContain("system · *remediation-expire*");
    expect(actionLine(action(4))).toContain("alert `ev-4`");
  });

  test("50 long actions fit within limits", () => {
    const msgs = logMessages(Array.from({ length: 50 }, (_, i) => action(i, { detail: { reason: "r".repeat(500), summary: "s".repeat(500) } })), 50);
    expectValid(msgs);
    expect(moreCount(msgs)).toBe(0);
    expect(countMatches(allText(msgs), /alert `ev-\d+`/g)).toBe(50);
  });

  test("no actions", () => {
    expect(allText(logMessages([], 50))).toContain("No actions recorded yet.");
  });
});

describe("account replies", () => {
  const usageLine = "`/iam-audit report [account]`";
  test("unknown: says so, shows the usage and how to list the accounts", () => {
    const msg = accountProblemMessage({ problem: "unknown", query: "pay<ments>", matches: [] }, usageLine);
    expect(validateMessage(msg)).toEqual([]);
    expect(msg.text).toBe(
      "No watched account is named or numbered `pay&lt;ments&gt;`. Usage: `/iam-audit report [account]`, with an account's display name or 12-digit id. `/iam-audit accounts` lists the watched accounts.",
    );
  });

  test("ambiguous: lists the accounts of that name with their ids", () => {
    const msg = accountProblemMessage({ problem: "ambiguous", query: "Prod", matches: [{ id: "111111111111", name: "prod" }, { id: "222222222222", name: "PROD" }] }, usageLine);
    expect(msg.text).toContain("`Prod` names 2 watched accounts (*prod* `111111111111`, *PROD* `222222222222`): give the 12-digit id instead.");
  });

  test("not watched: names the account and never falls back to another", () => {
    const msg = accountProblemMessage({ problem: "not-watched", query: "999988887777", matches: [] }, usageLine);
    expect(msg.text).toContain("Account `999988887777` is not among the accounts trailwatch watches");
    expect(msg.text).toContain("`/iam-audit accounts`");
  });

  test("unreachable: names the account and the permission AWS denied", () => {
    const msg = unreachableMessage("/iam-audit report", { id: "777788889999", name: "legacy-sandbox" }, { api: "AssumeRole", errorName: "AccessDenied", message: "no", missingPermission: "sts:AssumeRole" });
    expect(msg.text).toContain("⚠️ /iam-audit report failed: trailwatch cannot act in account *legacy-sandbox* `777788889999`: AWS denied `sts:AssumeRole`");
  });
});

describe("help", () => {
  test("lists every subcommand with one line each", () => {
    const msg = helpMessage();
    expect(validateMessage(msg)).toEqual([]);
    const text = allText([msg]);
    for (const sub of ["`/iam-audit`", "`/iam-audit events", "`/iam-audit report [account]`", "`/iam-audit user <name or ARN> [account]`", "`/iam-audit log`", "`/iam-audit health`", "`/iam-audit help`", "`/iam-audit snapshot`", "`/iam-audit accounts`", "`public`"]) {
      expect(text).toContain(sub);
    }
    expect(HELP_LINES).toHaveLength(9);
  });

  test("unknown subcommand says so and shows the help", () => {
    const msg = unknownSubcommandMessage("frob");
    expect(validateMessage(msg)).toEqual([]);
    expect(msg.text).toContain("Unknown subcommand `frob`");
    expect(allText([msg])).toContain("`/iam-audit log`");
  });
});

describe("statusCountsLine", () => {
  test("every status, in order", () => {
    expect(statusCountsLine({ open: 3, acknowledged: 2, escalated: 1, remediated: 4, muted: 5 })).toBe(
      "🆕 Open *3* · 👀 Acknowledged *2* · 📣 Escalated *1* · ✅ Remediated *4* · 🔇 Muted *5*",
    );
  });
});
