import type { ActionsBlock, Block, Button, ContextBlock, HeaderBlock, KnownBlock, SectionBlock } from "@slack/types";
import { describe, expect, it } from "vitest";
import type { AlertActivity, AlertInput } from "../../../src/alerts.js";
import type { CatalogEntry } from "../../../src/catalog/types.js";
import type { Actor, AffectedResource, IamEvent } from "../../../src/domain.js";
import type { Outcome } from "../../../src/detect/types.js";
import { ActionIds, ALERT_METADATA_EVENT_TYPE } from "../../../src/slack/action-ids.js";
import { AlertBlockIds, buildAlertDetails, buildAlertMessage as buildTopLevel, cloudTrailEventUrl } from "../../../src/slack/blocks/alert.js";
import { blocksCharCount, LIMITS, validateBlocks, validateMessage } from "../../../src/slack/blocks/limits.js";
import { allText, visibleTexts } from "../../support/slack-helpers.js";

// ---------------------------------------------------------------------------------------------- fixtures

const entry: CatalogEntry = {
  eventName: "DeleteRole",
  title: "IAM role deleted",
  meaning: "Deletes an IAM role. Anything that assumes it (EC2, Lambda, CI) stops working at once & cannot get new credentials.",
  risks: [
    "A production workload loses its permissions and fails.",
    "An attacker removes a security role to blind monitoring.",
    "Re-creating the role gives it a new unique id, so trust policies that named it break.",
  ],
  severity: "critical",
  severityReason: "Role deletion breaks workloads and cannot be fully undone.",
  recovery: "Re-create the role from a snapshot with the same name, trust policy and attachments.",
  remediations: ["contain-actor"],
  attack: [{ id: "T1531", name: "Account Access Removal" }],
};

const ACCOUNT = "123456789012";
const EVENT_ID = "3f2b5c1e-8d7a-4e8b-9c1d-0a1b2c3d4e5f";

function actor(over: Partial<Actor> = {}): Actor {
  return {
    type: "IAMUser",
    arn: `arn:aws:iam::${ACCOUNT}:user/alice`,
    principalId: "AIDAEXAMPLE",
    accountId: ACCOUNT,
    accessKeyId: "AKIAEXAMPLE123",
    userName: "alice",
    mfaAuthenticated: false,
    ...over,
  };
}

function event(over: Partial<IamEvent> = {}): IamEvent {
  return {
    eventId: EVENT_ID,
    eventName: "DeleteRole",
    eventSource: "iam.amazonaws.com",
    eventTime: new Date("2024-05-01T12:34:56Z"),
    awsRegion: "us-east-1",
    accountId: ACCOUNT,
    actor: actor(),
    sourceIp: "203.0.113.7",
    userAgent: "aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64",
    client: "cli",
    requestParameters: { roleName: "app-role" },
    resources: [{ kind: "role", label: "Role", value: "app-role" }],
    ...over,
  };
}

function input(ev: IamEvent, outcome: Outcome = "success", over: Partial<AlertInput> = {}): AlertInput {
  return { event: ev, severity: "critical", severityReason: "Role deletion breaks workloads.", outcome, ...over };
}

// ----------------------------------------------------------------------------------------------- helpers

type Msg = ReturnType<typeof buildTopLevel>;

// The alert is two messages: a compact top level and a details reply in its thread. Tests of a fact look
// where it now lives (`details(msg)`); safety checks cover both.
const detailsOf = new WeakMap<Msg, Msg>();
function buildAlertMessage(...args: Parameters<typeof buildTopLevel>): Msg {
  const top = buildTopLevel(...args);
  detailsOf.set(top, { ...buildAlertDetails(args[0], args[1]), metadata: top.metadata });
  return top;
}
function details(msg: Msg): Msg {
  const d = detailsOf.get(msg);
  if (!d) throw new Error("no details for this message");
  return d;
}

const texts = visibleTexts;

/** All `<...>` control sequences in the rendered mrkdwn (and the fallback text). */
function controlSequences(msg: Msg): string[] {
  return [msg.text, ...texts(msg.blocks)].flatMap((t) => t.match(/<[^>]*>/g) ?? []);
}

/** The only control sequences the builder may emit: its own console link, dates and user mentions. */
const ALLOWED_SEQUENCE =
  /^<(?:https:\/\/[a-z]{2}(?:-gov)?-[a-z]+-\d\.console\.aws\.amazon\.com\/cloudtrailv2\/home\?region=[a-z0-9-]+#\/events(?:\/[A-Za-z0-9%._~!*'()-]+)?\|Open in the CloudTrail console|!date\^\d+\^\{date_short_pretty\} \{time_secs\}\|[^<>]*|@[UW][A-Z0-9]+)>$/;

function expectSafe(msg: Msg): void {
  const d = detailsOf.get(msg);
  if (d) expectSafe(d);
  for (const seq of controlSequences(msg)) expect(seq).toMatch(ALLOWED_SEQUENCE);
  // Code spans are balanced in every text object.
  for (const t of texts(msg.blocks)) expect((t.match(/`/g) ?? []).length % 2).toBe(0);
  expect(validateMessage(msg)).toEqual([]);
}

// eslint-disable-next-line @typescript-eslint/no-unnecessary-type-parameters -- the caller names the block type it expects at that id
function block<T extends KnownBlock>(msg: Msg, id: string): T | undefined {
  return msg.blocks.find((b) => b.block_id === id) as T | undefined;
}

function sectionText(msg: Msg, id: string): string {
  const b = block<SectionBlock>(msg, id);
  return b?.text?.text ?? "";
}

function buttons(msg: Msg): Button[] {
  const a = block<ActionsBlock>(msg, AlertBlockIds.actions);
  return (a?.elements ?? []) as Button[];
}

function contextTexts(msg: Msg, id: string): string[] {
  const c = block<ContextBlock>(msg, id);
  return (c?.elements ?? []).map((e) => ("text" in e ? e.text : ""));
}

// ----------------------------------------------------------------------------------------------- tests

describe("buildAlertMessage: IAM user, success", () => {
  const msg = buildAlertMessage(input(event()), entry);

  it("has a severity header", () => {
    const h = msg.blocks[0] as HeaderBlock;
    expect(h.type).toBe("header");
    expect(h.text.text).toBe("🔴 CRITICAL · IAM role deleted");
  });

  it("shows the event name, outcome, account, region, time, IP, client and MFA", () => {
    const s = allText(msg);
    expect(s).toContain("`DeleteRole`");
    const facts = block<SectionBlock>(details(msg), AlertBlockIds.facts)?.fields?.map((f) => f.text) ?? [];
    expect(facts).toEqual([
      "*Event*\n`DeleteRole`",
      "*Outcome*\nSucceeded",
      `*Account*\n\`${ACCOUNT}\``,
      "*Region*\n`us-east-1`",
      "*When*\n<!date^1714566896^{date_short_pretty} {time_secs}|2024-05-01T12:34:56Z>",
      "*Source IP*\n`203.0.113.7`",
      "*Client*\nAWS CLI",
      "*MFA used*\nno",
    ]);
  });

  it("shows who: principal ARN, identity type, user, access key and user agent", () => {
    const who = sectionText(details(msg), AlertBlockIds.who);
    expect(who).toContain(`Principal: \`arn:aws:iam::${ACCOUNT}:user/alice\``);
    expect(who).toContain("Identity type: `IAMUser`");
    expect(who).toContain("User name: `alice`");
    expect(who).toContain("Access key: `AKIAEXAMPLE123`");
    expect(who).toContain("User agent: `aws-cli/2.15.0 Python/3.11.6 Linux/6.1 exe/x86_64`");
  });

  it("shows every affected resource as inline code", () => {
    expect(sectionText(details(msg), AlertBlockIds.what)).toBe("*What* — 1 affected resource\n• Role: `app-role`");
  });

  it("explains why it matters, with escaped catalog text, risks, severity reason and recovery", () => {
    const why = sectionText(details(msg), AlertBlockIds.why);
    expect(why).toContain("stops working at once &amp; cannot");
    for (const r of entry.risks) expect(why).toContain(`• ${r}`);
    expect(why).toContain("*Severity:* 🔴 CRITICAL — Role deletion breaks workloads.");
    expect(why).toContain("*Recovery:* Re-create the role");
  });

  it("links to the event in the CloudTrail console", () => {
    const [link] = contextTexts(details(msg), AlertBlockIds.links);
    expect(link).toBe(
      `<https://us-east-1.console.aws.amazon.com/cloudtrailv2/home?region=us-east-1#/events/${EVENT_ID}|Open in the CloudTrail console>` +
        ` · Event ID \`${EVENT_ID}\`` +
        " · MITRE ATT&amp;CK: `T1531` Account Access Removal",
    );
  });

  it("has Acknowledge, Escalate and Remediate buttons carrying the event id", () => {
    const b = buttons(msg);
    expect(b.map((x) => [x.action_id, x.text.text, x.style, x.value])).toEqual([
      [ActionIds.acknowledge, "Acknowledge", "primary", EVENT_ID],
      [ActionIds.escalate, "Escalate", undefined, EVENT_ID],
      [ActionIds.remediate, "Remediate", "danger", EVENT_ID],
    ]);
    expect(b.every((x) => x.confirm === undefined)).toBe(true);
  });

  it("has a one-line notification text and metadata", () => {
    expect(msg.text).toBe(
      `[CRITICAL] DeleteRole by arn:aws:iam::${ACCOUNT}:user/alice on role app-role (account ${ACCOUNT}, succeeded)`,
    );
    expect(msg.metadata).toEqual({ event_type: ALERT_METADATA_EVENT_TYPE, event_payload: { event_id: EVENT_ID } });
  });

  it("is within limits, safe, and has no activity or parse-error blocks", () => {
    expectSafe(msg);
    expect(block(msg, AlertBlockIds.activity)).toBeUndefined();
    expect(block(msg, AlertBlockIds.parseError)).toBeUndefined();
  });

  it("is deterministic", () => {
    expect(buildAlertMessage(input(event()), entry)).toEqual(msg);
  });
});

describe("buildAlertMessage: identity types", () => {
  it("AssumedRole shows the role name, role ARN, session name and MFA", () => {
    const ev = event({
      actor: {
        type: "AssumedRole",
        arn: `arn:aws:sts::${ACCOUNT}:assumed-role/Admin/bob@example.com`,
        principalId: "AROAEXAMPLE:bob@example.com",
        accountId: ACCOUNT,
        accessKeyId: "ASIAEXAMPLE",
        roleArn: `arn:aws:iam::${ACCOUNT}:role/Admin`,
        roleName: "Admin",
        sessionName: "bob@example.com",
        mfaAuthenticated: true,
      },
      client: "console",
      userAgent: "AWS Internal",
    });
    const msg = buildAlertMessage(input(ev), entry);
    const who = sectionText(details(msg), AlertBlockIds.who);
    expect(who).toContain(`Principal: \`arn:aws:sts::${ACCOUNT}:assumed-role/Admin/bob@example.com\``);
    expect(who).toContain("Identity type: `AssumedRole`");
    expect(who).toContain(`Role: \`Admin\` (\`arn:aws:iam::${ACCOUNT}:role/Admin\`)`);
    expect(who).toContain("Session name: `bob@example.com`");
    const facts = JSON.stringify(block(details(msg), AlertBlockIds.facts));
    expect(facts).toContain("*MFA used*\\nyes");
    expect(facts).toContain("*Client*\\nAWS Management Console");
    expectSafe(msg);
  });

  it("Root is flagged, with the account alias and unknown MFA", () => {
    const ev = event({
      actor: { type: "Root", arn: `arn:aws:iam::${ACCOUNT}:root`, accountId: ACCOUNT, userName: "acme-prod", mfaAuthenticated: null },
      client: "console",
    });
    const msg = buildAlertMessage(input(ev), entry);
    const who = sectionText(details(msg), AlertBlockIds.who);
    expect(who).toContain("Identity type: `Root` ⚠️ *root user*");
    expect(who).toContain("Account alias: `acme-prod`");
    expect(JSON.stringify(block(details(msg), AlertBlockIds.facts))).toContain("*MFA used*\\nunknown");
    expectSafe(msg);
  });

  it("AWSService without an ARN shows the invoking service", () => {
    const ev = event({
      actor: { type: "AWSService", invokedBy: "cloudformation.amazonaws.com", mfaAuthenticated: null },
      client: "aws-service",
      sourceIp: "cloudformation.amazonaws.com",
      userAgent: "cloudformation.amazonaws.com",
    });
    const msg = buildAlertMessage(input(ev), entry);
    const who = sectionText(details(msg), AlertBlockIds.who);
    expect(who).toContain("Principal: `cloudformation.amazonaws.com` (AWS service)");
    expect(who).toContain("Identity type: `AWSService`");
    expect(msg.text).toContain("DeleteRole by cloudformation.amazonaws.com on role app-role");
    expectSafe(msg);
  });

  it("an actor with nothing recorded still renders", () => {
    const ev = event({ actor: { type: "", mfaAuthenticated: null }, sourceIp: "", userAgent: "", accountId: "", awsRegion: "" });
    const msg = buildAlertMessage(input(ev), entry);
    const who = sectionText(details(msg), AlertBlockIds.who);
    expect(who).toContain("Principal: _not recorded_");
    expect(who).toContain("Identity type: `Unknown`");
    expect(who).toContain("User agent: _not recorded_");
    expect(msg.text).toContain("by unknown principal");
    expect(msg.text).toContain("(unknown account, succeeded)");
    expectSafe(msg);
  });
});

describe("buildAlertMessage: outcomes", () => {
  it("marks a denied attempt clearly", () => {
    const ev = event({
      errorCode: "AccessDenied",
      errorMessage: `User: arn:aws:iam::${ACCOUNT}:user/alice is not authorized to perform: iam:DeleteRole`,
      requestParameters: null,
      resources: [],
    });
    const msg = buildAlertMessage(input(ev, "denied", { severity: "high" }), entry);
    expect((msg.blocks[0] as HeaderBlock).text.text).toBe("⛔ Denied attempt · 🟠 HIGH · IAM role deleted");
    const summary = sectionText(details(msg), AlertBlockIds.summary);
    expect(summary).toContain("⛔ *Denied attempt:* `DeleteRole` was called but AWS denied it (AccessDenied)");
    expect(summary).toContain("Error message: `User: arn:aws:iam::");
    expect(JSON.stringify(block(details(msg), AlertBlockIds.facts))).toContain("*Outcome*\\nDenied: AccessDenied");
    expect(sectionText(details(msg), AlertBlockIds.what)).toContain("No resource names in the record");
    expect(sectionText(details(msg), AlertBlockIds.why)).not.toContain("*Recovery:*");
    expect(msg.text).toBe(
      `[HIGH] Denied attempt: DeleteRole by arn:aws:iam::${ACCOUNT}:user/alice (account ${ACCOUNT}, denied: AccessDenied)`,
    );
    expectSafe(msg);
  });

  it("marks a failed attempt with its error code", () => {
    const ev = event({ errorCode: "NoSuchEntity", errorMessage: "The role with name app-role cannot be found." });
    const msg = buildAlertMessage(input(ev, "failed", { severity: "medium" }), entry);
    expect((msg.blocks[0] as HeaderBlock).text.text).toBe("⚠️ Failed attempt · 🟡 MEDIUM · IAM role deleted");
    expect(sectionText(details(msg), AlertBlockIds.summary)).toContain("*Failed attempt:* `DeleteRole` was called but failed (NoSuchEntity)");
    expect(JSON.stringify(block(details(msg), AlertBlockIds.facts))).toContain("*Outcome*\\nFailed: NoSuchEntity");
    expect(msg.text).toContain("(account 123456789012, failed: NoSuchEntity)");
    expectSafe(msg);
  });

  it("truncates a long error message with a marker", () => {
    const ev = event({ errorCode: "AccessDenied", errorMessage: "x".repeat(5000) });
    const msg = buildAlertMessage(input(ev, "denied"), entry);
    expect(sectionText(details(msg), AlertBlockIds.summary)).toMatch(/Error message: `x+…`/);
    expectSafe(msg);
  });
});

describe("buildAlertMessage: escaping", () => {
  const evil = "<!channel> <@U123> <https://evil|AWS Console> <!here> &amp; ``` `x` *bold*";
  const ev = event({
    eventId: "<!channel>|evil",
    eventName: "DeleteRole<!channel>",
    awsRegion: "us-east-1|<https://evil|x>",
    accountId: `${ACCOUNT}<!channel>`,
    userAgent: evil,
    sourceIp: evil,
    errorCode: "AccessDenied<!channel>",
    errorMessage: evil,
    parseError: evil,
    actor: actor({
      type: "AssumedRole<!channel>",
      arn: evil,
      roleArn: evil,
      roleName: evil,
      sessionName: evil,
      userName: evil,
      accessKeyId: evil,
      invokedBy: evil,
    }),
    resources: [
      { kind: "role<!channel>", label: "Role <@U999>", value: evil },
      { kind: "policy", label: "Policy", value: "<https://evil|AWS Console>" },
    ],
  });
  const activity: AlertActivity = {
    acknowledged: { by: "<!channel>", at: new Date("2024-05-01T13:00:00Z") },
    escalated: { by: "U0ESCAL8", at: new Date("2024-05-01T13:05:00Z") },
    remediated: [{ summary: evil, requestedBy: "<!here>", approvedBy: "U0APPROVE", at: new Date("2024-05-01T14:00:00Z") }],
  };
  const msg = buildAlertMessage(input(ev, "denied", { severityReason: evil }), { ...entry, meaning: evil, risks: [evil] }, activity);
  const all = allText(msg);

  it("never contains a raw mention or a disguised link", () => {
    // Button values are opaque (never rendered) and carry the raw event id back to the listener.
    expect(buttons(msg).map((b) => b.value)).toEqual(["<!channel>|evil"]);
    const rendered = all.replace(/"value":"[^"]*"/g, "");
    expect(rendered).not.toContain("<!channel");
    expect(rendered).not.toContain("<!here>");
    expect(rendered).not.toContain("<@U123>");
    expect(rendered).not.toContain("<@U999>");
    expect(rendered).not.toContain("<https://evil");
    expect(all).toContain("&lt;!channel&gt;");
    expect(all).toContain("&lt;https://evil|AWS Console&gt;");
  });

  it("escapes the user agent as inline code", () => {
    expect(sectionText(details(msg), AlertBlockIds.who)).toContain("User agent: `&lt;!channel&gt; &lt;@U123&gt; &lt;https://evil|AWS Console&gt;");
  });

  it("only emits its own links, dates and well-formed mentions", () => {
    const seqs = controlSequences(msg);
    expect(seqs.length).toBeGreaterThan(0);
    for (const s of seqs) expect(s).toMatch(ALLOWED_SEQUENCE);
    expect(seqs).toContain("<@U0ESCAL8>");
    expect(seqs).toContain("<@U0APPROVE>");
  });

  it("builds the console link from a safe region and an encoded event id", () => {
    const [link] = contextTexts(details(msg), AlertBlockIds.links);
    expect(link).toContain(
      "<https://us-east-1.console.aws.amazon.com/cloudtrailv2/home?region=us-east-1#/events/%3C!channel%3E%7Cevil|Open in the CloudTrail console>",
    );
  });

  it("escapes the fallback text", () => {
    expect(msg.text).not.toMatch(/<[!@h]/);
    expect(msg.text).toContain("&lt;!channel&gt;");
  });

  it("stays within limits and keeps code spans balanced", () => {
    expectSafe(msg);
  });
});

describe("buildAlertMessage: huge values", () => {
  const big = (c: string) => c.repeat(100_000);
  const manyResources: AffectedResource[] = Array.from({ length: 500 }, (_, i) => ({
    kind: "policy",
    label: "Policy ARN",
    value: `arn:aws:iam::${ACCOUNT}:policy/team-${i}/${"p".repeat(40)}-${i}`,
  }));

  it("100 KB user agent is truncated with a marker", () => {
    const msg = buildAlertMessage(input(event({ userAgent: big("a") })), entry);
    expect(sectionText(details(msg), AlertBlockIds.who)).toMatch(/User agent: `a+…`/);
    expectSafe(msg);
  });

  it("500 resources: the first ones are shown, the rest counted", () => {
    const msg = buildAlertMessage(input(event({ resources: manyResources })), entry);
    const what = sectionText(details(msg), AlertBlockIds.what);
    expect(what).toContain("*What* — 500 affected resources");
    expect(what).toContain(`\`${manyResources[0]?.value}\``);
    expect(what).toMatch(/…and \d+ more resources not shown$/);
    expect(what.length).toBeLessThanOrEqual(LIMITS.sectionText);
    expect(msg.text).toContain("and 499 more");
    expectSafe(msg);
  });

  it("everything huge at once (incl. & and < that expand when escaped) still fits every limit", () => {
    const huge = big("&<");
    const ev = event({
      eventId: big("e"),
      eventName: huge,
      awsRegion: huge,
      accountId: huge,
      userAgent: huge,
      sourceIp: huge,
      errorCode: huge,
      errorMessage: huge,
      parseError: huge,
      actor: actor({ type: huge, arn: huge, roleArn: huge, roleName: huge, sessionName: huge, userName: huge, accessKeyId: huge, invokedBy: huge }),
      resources: Array.from({ length: 500 }, () => ({ kind: huge, label: huge, value: huge })),
    });
    const hugeEntry: CatalogEntry = { ...entry, title: huge, meaning: huge, risks: Array(50).fill(huge) as string[], recovery: huge, severityReason: huge };
    const activity: AlertActivity = {
      acknowledged: { by: huge, at: new Date(0) },
      escalated: { by: huge, at: new Date(0) },
      remediated: Array.from({ length: 40 }, () => ({ summary: huge, requestedBy: huge, approvedBy: huge, at: new Date(0) })),
    };
    for (const outcome of ["success", "denied", "failed"] as const) {
      const msg = buildAlertMessage(input(ev, outcome, { severityReason: huge }), hugeEntry, activity);
      expectSafe(msg);
      expect(blocksCharCount(msg.blocks)).toBeLessThanOrEqual(LIMITS.totalBlockChars);
      expect(msg.text.length).toBeLessThanOrEqual(LIMITS.messageText);
      expect((msg.blocks[0] as HeaderBlock).text.text.length).toBeLessThanOrEqual(LIMITS.headerText);
      expect(contextTexts(msg, AlertBlockIds.activity).length).toBeLessThanOrEqual(LIMITS.contextElements);
      for (const b of buttons(msg)) expect((b.value ?? "").length).toBeLessThanOrEqual(LIMITS.buttonValue);
      expect(allText(msg)).toContain("…");
    }
  });

  it("catalog with many long risks stays within the section limit", () => {
    const risks = Array.from({ length: 30 }, (_, i) => `Risk ${i}: ${"r".repeat(300)}`);
    const msg = buildAlertMessage(input(event()), { ...entry, risks });
    const why = sectionText(details(msg), AlertBlockIds.why);
    expect(why).toContain("• Risk 0: ");
    expect(why).toMatch(/…and \d+ more risks not shown/);
    expect(why).toContain("*Severity:*");
    expectSafe(msg);
  });

  it("escaping never produces a broken entity, whatever the length", () => {
    for (let n = 1; n <= 700; n += 37) {
      const msg = buildAlertMessage(input(event({ userAgent: "&".repeat(n), errorMessage: "<".repeat(n) }), "failed"), entry);
      expectSafe(msg); // validateMessage flags any `&` that does not start an entity
    }
  });
});

describe("buildAlertMessage: dates, regions and parse errors", () => {
  it("says 'unknown time' when eventTime is missing", () => {
    const msg = buildAlertMessage(input(event({ eventTime: null })), entry);
    expect(JSON.stringify(block(details(msg), AlertBlockIds.facts))).toContain("*When*\\nunknown time");
    expectSafe(msg);
  });

  it("uses the event's region when plausible, us-east-1 otherwise", () => {
    expect(cloudTrailEventUrl("eu-west-1", "abc")).toBe(
      "https://eu-west-1.console.aws.amazon.com/cloudtrailv2/home?region=eu-west-1#/events/abc",
    );
    // GovCloud and China are separate partitions with their own console hosts.
    expect(cloudTrailEventUrl("us-gov-west-1", "abc")).toBe(
      "https://console.amazonaws-us-gov.com/cloudtrailv2/home?region=us-gov-west-1#/events/abc",
    );
    expect(cloudTrailEventUrl("cn-northwest-1", "abc")).toBe("https://console.amazonaws.cn/cloudtrailv2/home?region=cn-northwest-1#/events/abc");
    for (const bad of ["", "global", "evil.com/", "us-east-1.evil.com", "US-EAST-1", "us-east-12"]) {
      expect(cloudTrailEventUrl(bad, "abc")).toBe(
        "https://us-east-1.console.aws.amazon.com/cloudtrailv2/home?region=us-east-1#/events/abc",
      );
    }
    expect(cloudTrailEventUrl("us-east-1", "a b/c|d")).toMatch(/#\/events\/a%20b%2Fc%7Cd$/);
    expect(cloudTrailEventUrl("us-east-1", "")).toMatch(/#\/events$/);
  });

  it("adds a context line when the record could not be parsed", () => {
    const msg = buildAlertMessage(input(event({ parseError: "Unexpected token } in JSON at position 12" })), entry);
    const [line] = contextTexts(msg, AlertBlockIds.parseError);
    expect(line).toContain("The full CloudTrail record could not be parsed");
    expect(line).toContain("built from the event summary fields");
    expect(line).toContain("`Unexpected token } in JSON at position 12`");
    expectSafe(msg);
  });
});

describe("buildAlertMessage: activity and buttons", () => {
  const ack = { by: "U0ACK", at: new Date("2024-05-01T13:00:00Z") };
  const esc = { by: "W0ESC", at: new Date("2024-05-01T13:10:00Z") };

  it("hides Acknowledge once acknowledged and says who did it", () => {
    const msg = buildAlertMessage(input(event()), entry, { acknowledged: ack });
    expect(buttons(msg).map((b) => b.action_id)).toEqual([ActionIds.escalate, ActionIds.remediate]);
    expect(contextTexts(msg, AlertBlockIds.activity)).toEqual([
      "✅ Acknowledged by <@U0ACK> at <!date^1714568400^{date_short_pretty} {time_secs}|2024-05-01T13:00:00Z>",
    ]);
    expectSafe(msg);
  });

  it("hides Escalate once escalated", () => {
    const msg = buildAlertMessage(input(event()), entry, { escalated: esc });
    expect(buttons(msg).map((b) => b.action_id)).toEqual([ActionIds.acknowledge, ActionIds.remediate]);
    expect(contextTexts(msg, AlertBlockIds.activity)[0]).toMatch(/^📣 Escalated by <@W0ESC> at <!date\^1714569000\^/);
    expectSafe(msg);
  });

  it("lists remediations with requester and approver", () => {
    const msg = buildAlertMessage(input(event()), entry, {
      acknowledged: ack,
      escalated: esc,
      remediated: [
        {
          summary: "deactivated access key AKIAEXAMPLE123 of alice",
          requestedBy: "U0REQ",
          approvedBy: "U0APP",
          at: new Date("2024-05-01T14:00:00Z"),
        },
      ],
    });
    const lines = contextTexts(msg, AlertBlockIds.activity);
    expect(lines).toHaveLength(3);
    expect(lines[2]).toContain("Remediated: deactivated access key AKIAEXAMPLE123 of alice, requested by <@U0REQ>, approved by <@U0APP>");
    expect(buttons(msg).map((b) => b.action_id)).toEqual([ActionIds.remediate]);
    expectSafe(msg);
  });

  it("caps the activity context at 10 elements, newest remediations kept", () => {
    const remediated = Array.from({ length: 25 }, (_, i) => ({
      summary: `step ${i}`,
      requestedBy: "U0REQ",
      approvedBy: "U0APP",
      at: new Date(Date.UTC(2024, 4, 1, 14, i)),
    }));
    const msg = buildAlertMessage(input(event()), entry, { acknowledged: ack, escalated: esc, remediated });
    const lines = contextTexts(msg, AlertBlockIds.activity);
    expect(lines.length).toBeLessThanOrEqual(LIMITS.contextElements);
    expect(lines.some((l) => /…and \d+ earlier remediations not shown/.test(l))).toBe(true);
    expect(lines.at(-1)).toContain("Remediated: step 24,");
    expectSafe(msg);
  });

  it("omits the Remediate button when the catalog offers no remediation, and the actions block when nothing is left", () => {
    const none = { ...entry, remediations: [] };
    expect(buttons(buildAlertMessage(input(event()), none)).map((b) => b.action_id)).toEqual([
      ActionIds.acknowledge,
      ActionIds.escalate,
    ]);
    const msg = buildAlertMessage(input(event()), none, { acknowledged: ack, escalated: esc });
    expect(block(msg, AlertBlockIds.actions)).toBeUndefined();
    expectSafe(msg);
  });
});

describe("validateBlocks", () => {
  const ok: KnownBlock[] = [
    { type: "header", text: { type: "plain_text", text: "Hi" } },
    { type: "section", text: { type: "mrkdwn", text: "hello &amp; bye" } },
  ];
  const long = (n: number) => "x".repeat(n);

  it("accepts valid blocks", () => {
    expect(validateBlocks(ok)).toEqual([]);
  });

  const bad: [string, (KnownBlock | Block)[], RegExp][] = [
    ["header over 150", [{ type: "header", text: { type: "plain_text", text: long(151) } }], /header.*151 chars \(max 150\)/],
    ["header as mrkdwn", [{ type: "header", text: { type: "mrkdwn", text: "x" } } as unknown as KnownBlock], /must be plain_text/],
    ["section text over 3000", [{ type: "section", text: { type: "mrkdwn", text: long(3001) } }], /3001 chars \(max 3000\)/],
    ["empty section text", [{ type: "section", text: { type: "mrkdwn", text: "" } }], /text is empty/],
    [
      "11 fields",
      [{ type: "section", fields: Array.from({ length: 11 }, () => ({ type: "mrkdwn" as const, text: "f" })) }],
      /11 fields \(max 10\)/,
    ],
    ["field over 2000", [{ type: "section", fields: [{ type: "mrkdwn", text: long(2001) }] }], /fields\[0\].*2001 chars \(max 2000\)/],
    ["section with neither", [{ type: "section" }], /needs text or fields/],
    ["51 blocks", Array.from({ length: 51 }, () => ({ type: "divider" as const })), /51 blocks \(max 50\)/],
    [
      "11 context elements",
      [{ type: "context", elements: Array.from({ length: 11 }, () => ({ type: "mrkdwn" as const, text: "c" })) }],
      /11 elements \(max 10\)/,
    ],
    [
      "button text over 75",
      [{ type: "actions", elements: [{ type: "button", action_id: "a", text: { type: "plain_text", text: long(76) } }] }],
      /76 chars \(max 75\)/,
    ],
    [
      "button value over 2000",
      [{ type: "actions", elements: [{ type: "button", action_id: "a", text: { type: "plain_text", text: "B" }, value: long(2001) }] }],
      /value is 2001 chars \(max 2000\)/,
    ],
    [
      "bad button style",
      [{ type: "actions", elements: [{ type: "button", action_id: "a", text: { type: "plain_text", text: "B" }, style: "blue" as "primary" }] }],
      /invalid button style blue/,
    ],
    [
      "duplicate action_id",
      [
        {
          type: "actions",
          elements: [
            { type: "button", action_id: "a", text: { type: "plain_text", text: "A" } },
            { type: "button", action_id: "a", text: { type: "plain_text", text: "B" } },
          ],
        },
      ],
      /duplicate action_id a/,
    ],
    ["empty actions", [{ type: "actions", elements: [] }], /no elements/],
    [
      "duplicate block_id",
      [
        { type: "divider", block_id: "x" },
        { type: "divider", block_id: "x" },
      ],
      /duplicate block_id x/,
    ],
    ["block_id over 255", [{ type: "divider", block_id: long(256) }], /block_id is 256 chars \(max 255\)/],
    [
      "too many characters in total",
      Array.from({ length: 5 }, () => ({ type: "section" as const, text: { type: "mrkdwn" as const, text: long(2900) } })),
      /characters in total \(budget 12000\)/,
    ],
    ["raw ampersand in mrkdwn", [{ type: "section", text: { type: "mrkdwn", text: "a & b" } }], /broken HTML entity/],
    ["entity cut in half", [{ type: "section", text: { type: "mrkdwn", text: "abc &am…" } }], /broken HTML entity/],
  ];

  it.each(bad)("detects %s", (_name, blocks, expected) => {
    const problems = validateBlocks(blocks);
    expect(problems.length).toBeGreaterThan(0);
    expect(problems.join("\n")).toMatch(expected);
  });

  it("honours a larger block count for modals", () => {
    const blocks = Array.from({ length: 80 }, () => ({ type: "divider" as const }));
    expect(validateBlocks(blocks)).not.toEqual([]);
    expect(validateBlocks(blocks, { maxBlocks: LIMITS.modalBlocks })).toEqual([]);
  });

  it("validateMessage also checks the fallback text", () => {
    expect(validateMessage({ text: "", blocks: ok })).toEqual(["text: missing or empty"]);
    expect(validateMessage({ text: long(3001), blocks: ok })[0]).toMatch(/3001 chars/);
    expect(validateMessage({ text: "fine", blocks: ok })).toEqual([]);
  });
});

describe("compact top level and details reply", () => {
  const msg = buildAlertMessage(input(event()), entry);

  it("has only header, one who/what/where/when line with the outcome, why it matters, one context line and buttons", () => {
    expect(msg.blocks.map((b) => b.block_id)).toEqual([
      AlertBlockIds.header,
      AlertBlockIds.summary,
      AlertBlockIds.why,
      AlertBlockIds.context,
      AlertBlockIds.actions,
    ]);
    const [who, outcome] = sectionText(msg, AlertBlockIds.summary).split("\n");
    expect(who).toBe(
      `\`arn:aws:iam::${ACCOUNT}:user/alice\` called \`DeleteRole\` on role \`app-role\` in account \`${ACCOUNT}\` (\`us-east-1\`), ` +
        "<!date^1714566896^{date_short_pretty} {time_secs}|2024-05-01T12:34:56Z>",
    );
    expect(outcome).toBe("*Outcome:* succeeded.");
    expect(sectionText(msg, AlertBlockIds.why)).toBe("*Why it matters:* Role deletion breaks workloads.");
    expect(contextTexts(msg, AlertBlockIds.context)).toEqual([
      "AWS CLI · MFA no · from `203.0.113.7`",
      `<https://us-east-1.console.aws.amazon.com/cloudtrailv2/home?region=us-east-1#/events/${EVENT_ID}|Open in the CloudTrail console> · details, risks and recovery in the thread`,
      "ATT&amp;CK `T1531`",
    ]);
  });

  it("fits one screen: a few hundred characters, none of the risks or the recovery text", () => {
    const top = texts(msg.blocks).join("\n");
    expect(top.length).toBeLessThan(700);
    for (const r of entry.risks) expect(top).not.toContain(r);
    expect(top).not.toContain("Re-create the role");
  });

  it("loses nothing: the details reply holds the meaning, every risk, the recovery and the event id", () => {
    const d = allText(details(msg));
    expect(d).toContain("stops working at once &amp; cannot");
    for (const r of entry.risks) expect(d).toContain(r);
    expect(d).toContain("*Recovery:* Re-create the role");
    expect(d).toContain(EVENT_ID);
    expect(details(msg).text).toBe(`Details: ${msg.text}`);
  });

  it("a denied attempt says so on the top level, with the error code", () => {
    const denied = buildAlertMessage(input(event({ errorCode: "AccessDenied", errorMessage: "not authorized" }), "denied"), entry);
    expect(sectionText(denied, AlertBlockIds.summary)).toContain("⛔ *Denied attempt* (AccessDenied): nothing was changed, but someone tried. `not authorized`");
    expectSafe(denied);
  });

  it("leaves room for more one-line facts in the context block", () => {
    expect(contextTexts(msg, AlertBlockIds.context).length).toBeLessThanOrEqual(LIMITS.contextElements - 3);
  });
});
