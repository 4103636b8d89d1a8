// `npm run doctor` as an operator runs it: the real CLI against fake Slack, moto (STS, IAM) and the fake
// CloudTrail. All ✓ and exit 0 on a good deployment; on a broken one, one ✗ line per problem with its fix.
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { CreateRoleCommand } from "@aws-sdk/client-iam";
import { iamResult, startAwsProxy } from "../audit/support/aws-proxy.js";
import { startFakeCloudTrail, type FakeCloudTrail } from "../fakes/cloudtrail.js";
import { FAKE_BOT_SCOPES } from "../fakes/slack.js";
import { startStsProxy } from "../support/accounts.js";
import { nodeArgs } from "../support/app-build.js";
import { ALERT_CHANNEL, startHarness, type Harness } from "../support/harness.js";

const ESCALATIONS = "CESCAL001";
const SECRET_TOKEN = "xoxb-doctor-TOPSECRET";

let h: Harness;
let skewed: FakeCloudTrail;
beforeAll(async () => {
  h = await startHarness({ moto: true });
  h.slack.setUsergroup("SONCALL1", ["UONE0001", "UTWO0002"]);
  skewed = await startFakeCloudTrail({ clockOffsetMs: 30 * 60_000 });
});
afterAll(async () => {
  await skewed.close();
  await h.close();
});

function doctor(extra: Record<string, string | undefined> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const env = h.env({ SLACK_BOT_TOKEN: SECRET_TOKEN, RESPONDERS: "URESP001,SONCALL1", APPROVERS: "UAPPR001", ONCALL_USERGROUP_ID: "SONCALL1", ESCALATION_CHANNEL_ID: ESCALATIONS, ...extra });
  const child = spawn(process.execPath, nodeArgs("src/cli/doctor.ts"), { cwd: mkdtempSync(join(tmpdir(), "trailwatch-doctor-")), env, stdio: ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.once("exit", (code) => { resolve({ code, stdout, stderr }); }));
}

/** The table row of a check (its lines up to the fix, joined) and the fix printed under it, if any. */
function row(stdout: string, name: string): { line: string; fix: string } {
  const lines = stdout.split("\n");
  const i = lines.findIndex((l) => /^[✓✗] /.test(l) && l.slice(2).startsWith(name));
  if (i < 0) throw new Error(`no row "${name}" in:\n${stdout}`);
  const body: string[] = [lines[i] ?? ""];
  for (const l of lines.slice(i + 1)) {
    if (/^[✓✗] /.test(l) || l === "") break;
    body.push(l.trim());
  }
  const f = body.findIndex((l) => l.startsWith("fix: "));
  return f < 0 ? { line: body.join(" "), fix: "" } : { line: body.slice(0, f).join(" "), fix: body.slice(f).join(" ") };
}

test("a good deployment: every line ✓, exit 0, no secret printed", async () => {
  const { code, stdout, stderr } = await doctor();
  expect(stderr).not.toContain("TOPSECRET");
  expect(stdout).not.toContain("TOPSECRET");
  expect(stdout).not.toContain("test-secret");
  const marks = stdout.split("\n").filter((l) => /^[✓✗] /.test(l));
  expect(marks.filter((l) => l.startsWith("✗"))).toEqual([]);
  for (const name of [
    "Slack token",
    "Slack scopes",
    `alert channel ${ALERT_CHANNEL}`,
    `escalation channel ${ESCALATIONS}`,
    "user group SONCALL1 (RESPONDERS, ONCALL_USERGROUP_ID)",
    "AWS identity",
    "CloudTrail LookupEvents",
    "AWS reads: /iam-audit trails",
    "AWS reads: /iam-audit IAM posture",
    "AWS reads: remediation plans",
    "Clock skew against AWS",
  ]) {
    expect(row(stdout, name).line.startsWith("✓")).toBe(true);
  }
  expect(row(stdout, "user group SONCALL1").line).toContain("2 members");
  expect(row(stdout, "AWS identity").line).toContain("123456789012");
  expect(stdout).toContain(`All ${marks.length} checks passed.`);
  // Column widths stay sane: no line wider than the table allows.
  expect(Math.max(...stdout.split("\n").map((l) => Array.from(l).length))).toBeLessThanOrEqual(100);
  expect(code).toBe(0);
}, 60_000);

test("a broken deployment: one ✗ per problem, each with its fix, exit 1", async () => {
  h.slack.setScopes(FAKE_BOT_SCOPES.filter((s) => s !== "commands"));
  h.slack.setChannelMember(ALERT_CHANNEL, false);
  skewed.setDeny("User: arn:aws:sts::123456789012:assumed-role/trailwatch/bot is not authorized to perform: cloudtrail:LookupEvents with an explicit deny in an identity-based policy");
  try {
    const { code, stdout, stderr } = await doctor({ RESPONDERS: "URESP001,SNOSUCH1", AWS_ENDPOINT_URL_CLOUDTRAIL: skewed.url });
    expect(code).toBe(1);
    // Everything is in the table; nothing leaks out as client log noise.
    expect(stderr.replace(/\(node:\d+\) Warning: NodeVersionSupportWarning[\s\S]*?show where the warning was created\)\n?/, "")).toBe("");

    const scopes = row(stdout, "Slack scopes");
    expect(scopes.line).toMatch(/^✗ .*missing commands/);
    expect(scopes.fix).toContain("reinstall the app");

    const channel = row(stdout, `alert channel ${ALERT_CHANNEL}`);
    expect(channel.line).toMatch(/^✗ .*not a member/);
    expect(channel.fix).toContain("/invite @trailwatch");
    expect(row(stdout, `escalation channel ${ESCALATIONS}`).line.startsWith("✓")).toBe(true);

    const group = row(stdout, "user group SNOSUCH1 (RESPONDERS)");
    expect(group.line).toMatch(/^✗ .*does not resolve \(no_such_subteam\)/);
    expect(group.fix).toContain("copy its id");
    expect(row(stdout, "user group SONCALL1 (ONCALL_USERGROUP_ID)").line.startsWith("✓")).toBe(true);

    const lookup = row(stdout, "CloudTrail LookupEvents");
    expect(lookup.line).toMatch(/^✗ .*denied: the bot lacks cloudtrail:LookupEvents/);
    expect(lookup.fix).toContain("ReadCloudTrailEventHistory");

    const clock = row(stdout, "Clock skew against AWS");
    expect(clock.line).toMatch(/^✗ .*host clock is 1[78]\d\d s behind AWS/);
    expect(clock.fix).toContain("NTP");

    expect(stdout).toMatch(/5 of \d+ checks failed\./);
    // The others still pass.
    expect(row(stdout, "AWS identity").line.startsWith("✓")).toBe(true);
    expect(skewed.calls.filter((c) => c.operation === "LookupEvents")).toHaveLength(1);
  } finally {
    h.slack.setScopes([...FAKE_BOT_SCOPES]);
    h.slack.setChannelMember(ALERT_CHANNEL, true);
    skewed.setDeny(null);
  }
}, 60_000);

test("a denied IAM read names the missing permission and the policy statement that grants it", async () => {
  const proxy = await startAwsProxy(h.moto!.endpoint);
  try {
    proxy.deny("GetRole");
    proxy.deny("ListMFADevices");
    const { code, stdout } = await doctor({ AWS_ENDPOINT_URL_IAM: proxy.endpoint });
    expect(code).toBe(1);
    const plans = row(stdout, "AWS reads: remediation plans");
    expect(plans.line).toMatch(/^✗ .*missing: iam:GetRole$/);
    expect(plans.fix).toContain("statement PlanRemediations of deploy/iam-policy.json");
    const posture = row(stdout, "AWS reads: /iam-audit IAM posture");
    expect(posture.line).toMatch(/^✗ .*missing: iam:ListMFADevices$/);
    expect(posture.fix).toContain("AuditIamPosture");
    expect(row(stdout, "AWS reads: /iam-audit trails").line.startsWith("✓")).toBe(true);
    // Reads only: the probes never change IAM.
    expect(proxy.calls.filter((c) => c.service === "iam" && !/^(Get|List|Generate|Simulate)/.test(c.action))).toEqual([]);
  } finally {
    await proxy.stop();
  }
}, 60_000);

test("with iam:SimulatePrincipalPolicy, the bot's own role (with its path) is simulated and an implicit deny is named", async () => {
  await h.moto!.iam().send(
    new CreateRoleCommand({ RoleName: "trailwatch-bot", Path: "/bots/", AssumeRolePolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ecs-tasks.amazonaws.com" }, Action: "sts:AssumeRole" }] }) }),
  );
  const proxy = await startAwsProxy(h.moto!.endpoint);
  const simulated: string[] = [];
  try {
    proxy.on("GetCallerIdentity", () =>
      iamResult("GetCallerIdentity", "<Arn>arn:aws:sts::123456789012:assumed-role/trailwatch-bot/task-1</Arn><UserId>AROAEXAMPLE:task-1</UserId><Account>123456789012</Account>"),
    );
    proxy.on("SimulatePrincipalPolicy", (call) => {
      simulated.push(String(call.params.PolicySourceArn));
      const actions = Object.entries(call.params).filter(([k]) => k.startsWith("ActionNames.member.")).map(([, v]) => String(v));
      const members = actions
        .map((a) => `<member><EvalActionName>${a}</EvalActionName><EvalResourceName>*</EvalResourceName><EvalDecision>${a === "iam:GetAccessKeyLastUsed" ? "implicitDeny" : "allowed"}</EvalDecision></member>`)
        .join("");
      return iamResult("SimulatePrincipalPolicy", `<EvaluationResults>${members}</EvaluationResults><IsTruncated>false</IsTruncated>`);
    });
    const { code, stdout } = await doctor({ AWS_ENDPOINT_URL_IAM: proxy.endpoint, AWS_ENDPOINT_URL_STS: proxy.endpoint });
    expect(code).toBe(1);
    expect(simulated).toEqual(["arn:aws:iam::123456789012:role/bots/trailwatch-bot"]);
    const posture = row(stdout, "AWS reads: /iam-audit IAM posture");
    expect(posture.line).toMatch(/^✗ .*missing: iam:GetAccessKeyLastUsed$/);
    expect(posture.fix).toContain("AuditIamPosture");
    // The 18 reads of deploy/iam-policy.json's PlanRemediations statement.
    expect(row(stdout, "AWS reads: remediation plans").line).toMatch(/^✓ .*all 18 allowed \(IAM policy simulation of the bot's principal\)/);
    // Simulation answered, so no probe call was made.
    expect(proxy.calls.some((c) => Object.values(c.params).includes("trailwatch-doctor-probe"))).toBe(false);
  } finally {
    await proxy.stop();
  }
}, 60_000);

test("many accounts: one row per account; a role that cannot be assumed is ✗ with its fix; the external id is passed, never printed", async () => {
  const PAYMENTS = "444455556666";
  const SANDBOX = "777788889999";
  const PAYMENTS_ROLE = `arn:aws:iam::${PAYMENTS}:role/trailwatch`;
  const SANDBOX_ROLE = `arn:aws:iam::${SANDBOX}:role/trailwatch`;
  const EXTERNAL_ID = "doctor-EXTSECRET-42";
  const sts = await startStsProxy(h.moto!.endpoint);
  sts.deny.add(SANDBOX_ROLE);
  const file = join(h.dataDir, "doctor-accounts.yaml");
  writeFileSync(
    file,
    ["accounts:", `  - id: "${PAYMENTS}"`, "    name: payments-prod", `    roleArn: ${PAYMENTS_ROLE}`, `    externalId: ${EXTERNAL_ID}`, `  - id: "${SANDBOX}"`, "    name: legacy-sandbox", `    roleArn: ${SANDBOX_ROLE}`, ""].join("\n"),
  );
  try {
    const { code, stdout, stderr } = await doctor({ ACCOUNTS_FILE: file, AWS_ENDPOINT_URL_STS: sts.url });
    expect(code).toBe(1);
    expect(row(stdout, "Watched accounts").line).toMatch(/^✓ .*2 from ACCOUNTS_FILE, and the bot's own account$/);
    // The 3 + 10 + 18 reads of deploy/iam-policy.json's read statements, made in the payments account.
    expect(row(stdout, `account payments-prod (${PAYMENTS})`).line).toMatch(/^✓ .*role assumed; LookupEvents and all 31 reads allowed$/);
    const sandbox = row(stdout, `account legacy-sandbox (${SANDBOX})`);
    expect(sandbox.line).toMatch(new RegExp(`^✗ .*cannot assume ${SANDBOX_ROLE}: AccessDenied \\(denied\\)$`));
    expect(sandbox.fix).toContain(`Create the role in account ${SANDBOX} with a trust policy that lets the bot's identity call sts:AssumeRole`);
    expect(stdout).toMatch(/^1 of \d+ checks failed\.$/m);
    const assumed = sts.requests.filter((r) => r.action === "AssumeRole");
    expect(assumed.find((r) => r.params.RoleArn === PAYMENTS_ROLE)?.params.ExternalId).toBe(EXTERNAL_ID);
    expect(assumed.find((r) => r.params.RoleArn === SANDBOX_ROLE)?.params.ExternalId).toBeUndefined();
    expect(stdout + stderr).not.toContain("EXTSECRET");
  } finally {
    await sts.close();
  }
}, 60_000);

test("a throttled LookupEvents is tried again after a pause; throttled three times in a row it is ✗ with its fix", async () => {
  const before = h.cloudtrail.throttledCount;
  h.cloudtrail.failNext(2, "throttle");
  const retried = await doctor();
  expect(row(retried.stdout, "CloudTrail LookupEvents").line).toMatch(/^✓ .*allowed/);
  expect(h.cloudtrail.throttledCount - before).toBe(2);
  expect(retried.code).toBe(0);

  h.cloudtrail.failNext(3, "throttle");
  const throttled = await doctor();
  const lookup = row(throttled.stdout, "CloudTrail LookupEvents");
  expect(lookup.line).toMatch(/^✗ .*throttled 3 times in a row$/);
  expect(lookup.fix).toContain("run the doctor again");
  expect(throttled.code).toBe(1);
}, 60_000);

test("a configuration error is reported like the bot does: one line naming the variable, exit 2", async () => {
  const { code, stderr, stdout } = await doctor({ ALERT_CHANNEL_ID: undefined });
  expect(code).toBe(2);
  expect(stderr.trim()).toBe("trailwatch: configuration error: ALERT_CHANNEL_ID is required");
  expect(stdout).toBe("");
}, 60_000);
