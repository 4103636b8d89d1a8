// `trailwatch replay --post`: alerts go through the outbox to the (fake) Slack, a second replay posts nothing
// new, and a routing rule sends its alert to the rule's channel.
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, expect, test } from "vitest";
import { startFakeSlack, type FakeSlack } from "../fakes/slack.js";
import { nodeArgs } from "../support/app-build.js";
import { iamRecord } from "../support/records.js";
import { SIGNING_SECRET } from "../support/harness.js";

let slack: FakeSlack;
beforeAll(async () => {
  slack = await startFakeSlack();
});
afterAll(async () => {
  await slack.close();
});

function cli(args: string[], env: Record<string, string>): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const p = spawn(process.execPath, [...nodeArgs("src/cli/trailwatch.ts"), ...args], {
      cwd: mkdtempSync(join(tmpdir(), "tw-post-")),
      env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    });
    let stdout = "";
    let stderr = "";
    p.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    p.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    p.on("exit", (status) => { resolve({ status, stdout, stderr }); });
  });
}

test("--post delivers through the outbox once, honouring a routing rule; without Slack settings it exits 2", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tw-post-data-"));
  const log = join(dir, "trail.jsonl");
  const role = iamRecord({ eventName: "DeleteRole", eventTime: new Date("2026-11-20T10:00:00Z"), requestParameters: { roleName: "app-role" } });
  const profile = iamRecord({ eventName: "DeleteInstanceProfile", eventTime: new Date("2026-11-20T10:01:00Z"), requestParameters: { instanceProfileName: "web" } });
  writeFileSync(log, [role, profile, iamRecord({ eventName: "GetRole", readOnly: true })].map((r) => JSON.stringify(r)).join("\n"));
  writeFileSync(join(dir, "rules.yml"), "rules:\n  - name: profiles\n    match: { events: DeleteInstanceProfile }\n    route: CTEAM0002\n");
  const env = {
    SLACK_BOT_TOKEN: "xoxb-test-token",
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: `${slack.url}/api/`,
    ALERT_CHANNEL_ID: "CALERTS02",
    DATABASE_URL: `sqlite:${join(dir, "tw.db")}`,
    SLACK_POST_INTERVAL_MS: "0",
    RULES_FILE: join(dir, "rules.yml"),
  };
  const first = await cli(["replay", "--post", log], env);
  expect(first.stderr).toContain("--post: 2 new alerts put in the outbox (0 were already there), 2 posted");
  expect(first.status).toBe(0);
  const ids = (ch: string) => slack.messages(ch).map((m) => (m.metadata?.event_payload as { event_id?: string } | undefined)?.event_id);
  expect(ids("CALERTS02")).toEqual([role.eventID]);
  expect(ids("CTEAM0002")).toEqual([profile.eventID]);

  const again = await cli(["replay", "--post", log], env);
  expect(again.status).toBe(0);
  expect(again.stderr).toContain("--post: 0 new alerts put in the outbox (2 were already there), 0 posted");
  expect(slack.messages("CALERTS02")).toHaveLength(1);

  const noSlack = await cli(["replay", "--post", log], { DATABASE_URL: env.DATABASE_URL });
  expect(noSlack.status).toBe(2);
  expect(noSlack.stderr).toMatch(/--post needs the bot's configuration: SLACK_BOT_TOKEN is required/);
}, 90_000);

test("--post groups as the bot does: a replayed storm is one digest, every event in its thread", async () => {
  const dir = mkdtempSync(join(tmpdir(), "tw-post-storm-"));
  const log = join(dir, "storm.jsonl");
  const names = Array.from({ length: 12 }, (_, i) => `storm-user-${i}`);
  const t0 = Date.parse("2026-11-20T11:00:00Z");
  writeFileSync(log, names.map((n, i) => JSON.stringify(iamRecord({ eventName: "DeleteUser", eventTime: new Date(t0 + i * 5000), requestParameters: { userName: n } }))).join("\n"));
  const env = {
    SLACK_BOT_TOKEN: "xoxb-test-token",
    SLACK_SIGNING_SECRET: SIGNING_SECRET,
    SLACK_API_URL: `${slack.url}/api/`,
    ALERT_CHANNEL_ID: "CALERTS03",
    DATABASE_URL: `sqlite:${join(dir, "tw.db")}`,
    SLACK_POST_INTERVAL_MS: "0",
  };
  const res = await cli(["replay", "--post", log], env);
  expect(res.status).toBe(0);
  expect(res.stdout).toContain("group=digest#1");
  const msgs = slack.messages("CALERTS03");
  const top = msgs.filter((m) => !m.thread_ts || m.thread_ts === m.ts);
  expect(top).toHaveLength(1);
  expect(top[0]?.text).toContain("Deletion storm: 12 IAM deletions");
  const text = msgs.map((m) => `${m.text ?? ""}${JSON.stringify(m.blocks ?? [])}`).join("\n");
  expect(names.filter((n) => !text.includes(n))).toEqual([]);
}, 90_000);
