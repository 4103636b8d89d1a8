// Rules end to end, through the real process: a rule routes an alert to a team channel and names itself on
// it, a rule suppresses an alert that /iam-audit events still lists, MUTE_PRINCIPALS keeps muting the real
// role while alerting on a look-alike user path, and a bad rules file stops start-up with exit code 2.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, expect, test } from "vitest";
import { sendSlashCommand } from "../fakes/slack-request.js";
import { runApp } from "../support/app-process.js";
import { ALERT_CHANNEL, SIGNING_SECRET, alertEventIds, minutesAgo, startHarness, type Harness } from "../support/harness.js";
import { freePort } from "../support/ports.js";
import { ALICE, iamRecord } from "../support/records.js";
import { alertEventId } from "../support/slack-helpers.js";

const TEAM_CHANNEL = "CTEAM0001";
const RESPONDER = "U0RESPOND1";
const ACCT = "123456789012";

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

const eventIdOf = (m: { metadata?: { event_payload?: unknown } | undefined }) => String(alertEventId(m));

function roleSession(role: string, session: string) {
  return {
    type: "AssumedRole",
    principalId: `AROAEXAMPLE${role.length}:${session}`,
    arn: `arn:aws:sts::${ACCT}:assumed-role/${role}/${session}`,
    accountId: ACCT,
    accessKeyId: "ASIAEXAMPLE00000001",
    sessionContext: {
      sessionIssuer: { type: "Role", principalId: `AROAEXAMPLE${role.length}`, arn: `arn:aws:iam::${ACCT}:role/${role}`, accountId: ACCT, userName: role },
      attributes: { creationDate: "2026-11-22T00:00:00Z", mfaAuthenticated: "false" },
    },
  };
}

test("a rule routes an alert to another channel and names itself; a suppressed alert is listed by /iam-audit events", async () => {
  const rulesFile = join(h.dataDir, "rules.yml");
  writeFileSync(
    rulesFile,
    `rules:
  - name: scanner probes
    match:
      actor: { type: AssumedRole, role: security-scanner }
      errorCode: AccessDenied
    suppress: true
  - name: instance profiles to platform
    match:
      events: [DeleteInstanceProfile, RemoveRoleFromInstanceProfile]
    route: ${TEAM_CHANNEL}
    mention: S0PLATFORM1
`,
  );
  const routed = h.cloudtrail.addEvent(iamRecord({ eventName: "DeleteInstanceProfile", eventTime: minutesAgo(4), requestParameters: { instanceProfileName: "web-profile" } }));
  const suppressed = h.cloudtrail.addEvent(
    iamRecord({ eventName: "DeleteRole", eventTime: minutesAgo(3), errorCode: "AccessDenied", identity: roleSession("security-scanner", "scan-1"), requestParameters: { roleName: "prod-admin" } }),
  );
  const plain = h.cloudtrail.addEvent(iamRecord({ eventName: "DeleteUser", eventTime: minutesAgo(2), requestParameters: { userName: "bob" } }));

  const app = await h.start({ RULES_FILE: rulesFile, RESPONDERS: RESPONDER });
  await h.slack.waitFor((s) => s.messages(TEAM_CHANNEL).length >= 1 && s.messages(ALERT_CHANNEL).length >= 1, 40_000, "routed and plain alerts");
  await app.waitForLog((l) => l.msg === "poll finished");

  const team = h.slack.messages(TEAM_CHANNEL);
  expect(team.map(eventIdOf)).toEqual([routed.EventId]);
  const teamBlocks = JSON.stringify(team[0]?.blocks);
  expect(teamBlocks).toContain("Rule: `instance profiles to platform`");
  expect(teamBlocks).toContain("<!subteam^S0PLATFORM1>");
  expect(alertEventIds(h)).toEqual([plain.EventId]);
  // Nothing posted for the suppressed event, anywhere.
  expect(JSON.stringify(h.slack.messages(TEAM_CHANNEL).concat(h.slack.messages(ALERT_CHANNEL)))).not.toContain(suppressed.EventId);

  const res = await sendSlashCommand(`${app.url}/slack/events`, SIGNING_SECRET, {
    command: "/iam-audit",
    text: "events 24h",
    user_id: RESPONDER,
    channel_id: ALERT_CHANNEL,
    response_url: h.slack.responseUrl("events"),
  });
  expect(res.status).toBe(200);
  const answer = await h.slack.waitFor((s) => (s.responses("events").length > 0 ? s.responses("events") : false), 30_000, "events answer");
  const text = JSON.stringify(answer.map((p) => p.body));
  expect(text).toContain("prod-admin");
  expect(text).toContain("muted: rule scanner probes: principal type=AssumedRole role=security-scanner, errorCode AccessDenied");
}, 90_000);

test("MUTE_PRINCIPALS=arn:aws:iam::*:role/terraform-ci: a user with path /:role/ is alerted, the real role's session stays muted", async () => {
  const lookAlike = h.cloudtrail.addEvent(
    iamRecord({
      eventName: "DeleteRole",
      eventTime: minutesAgo(4),
      identity: { ...ALICE, principalId: "AIDAEXAMPLELOOKALIKE", arn: `arn:aws:iam::${ACCT}:user/:role/terraform-ci`, userName: "terraform-ci" },
      requestParameters: { roleName: "prod-admin" },
    }),
  );
  const real = h.cloudtrail.addEvent(iamRecord({ eventName: "DeleteRole", eventTime: minutesAgo(3), identity: roleSession("terraform-ci", "tf-run-7"), requestParameters: { roleName: "old-app" } }));

  const app = await h.start({ MUTE_PRINCIPALS: "arn:aws:iam::*:role/terraform-ci" });
  await h.slack.waitFor((s) => s.messages(ALERT_CHANNEL).length >= 1, 40_000, "look-alike alerted");
  await app.waitForLog((l) => l.msg === "alert muted" && l.eventId === real.EventId, 40_000);
  await app.waitForLog((l) => l.msg === "poll finished");
  expect(alertEventIds(h)).toEqual([lookAlike.EventId]);
  const muted = app.logs.find((l) => l.msg === "alert muted" && l.eventId === real.EventId);
  expect(muted?.rule).toBe("MUTE_PRINCIPALS");
}, 90_000);

test("an invalid rules file stops start-up: one line per problem with file, line and field, exit code 2", async () => {
  const rulesFile = join(h.dataDir, "bad-rules.yml");
  writeFileSync(rulesFile, "rules:\n  - name: team\n    match:\n      sourceIp: 10.0.0.0/33\n    route: C0TEAM\n");
  const app = runApp(h.env({ RULES_FILE: rulesFile, PORT: String(await freePort()) }));
  expect(await app.exited).toBe(2);
  expect(app.stderr().trim()).toBe(
    `trailwatch: configuration error: RULES_FILE ${rulesFile}:4: rules[0].match.sourceIp[0]: "10.0.0.0/33" is not an IPv4 or IPv6 address or CIDR`,
  );
}, 60_000);

test("SIGHUP reloads the rules; a bad file is rejected and the rules in force stay", async () => {
  const rulesFile = join(h.dataDir, "rules.yml");
  writeFileSync(rulesFile, "rules:\n  - name: first\n    suppress: true\n");
  const app = await h.start({ RULES_FILE: rulesFile });
  writeFileSync(rulesFile, "rules:\n  - name: second\n    severity: urgent\n");
  app.proc.kill("SIGHUP");
  const rejected = await app.waitForLog((l) => l.msg === "rules file rejected; the previous rules stay in force until the file is fixed", 20_000);
  expect(rejected.problems).toEqual([`${rulesFile}:3: rules[0].severity: must be one of critical, high, medium, low`]);
  // Still running, with the old rules: a new deletion is suppressed by "first".
  const ev = h.cloudtrail.addEvent(iamRecord({ eventName: "DeleteUser", eventTime: minutesAgo(1), requestParameters: { userName: "x" } }));
  const muted = await app.waitForLog((l) => l.msg === "alert muted" && l.eventId === ev.EventId, 40_000);
  expect(muted.rule).toBe("first");
  writeFileSync(rulesFile, "rules:\n  - name: third\n    severity: low\n");
  app.proc.kill("SIGHUP");
  await app.waitForLog((l) => l.msg === "rules reloaded" && l.rules === 1, 20_000);
  expect(app.proc.exitCode).toBeNull();
}, 90_000);
