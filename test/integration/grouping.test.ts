// Chains and digests end to end: the real app process, the fake LookupEvents endpoint and the fake Slack
// (with its per-channel rate limits on posts, replies and updates), counting on the fakes' side.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import Database from "better-sqlite3";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import type { SlackMessage } from "../fakes/slack.js";
import { blockActionPayload, sendBlockAction } from "../fakes/slack-request.js";
import { buttonValue } from "../support/slack-helpers.js";
import { ALERT_CHANNEL, SIGNING_SECRET, minutesAgo, startHarness, type Harness } from "../support/harness.js";
import { ASSUMED_DEPLOYER, iamRecord } from "../support/records.js";
import { allText, topLevel as topLevelIn } from "../support/slack-helpers.js";

let h: Harness;
beforeEach(async () => {
  h = await startHarness();
});
afterEach(async () => {
  await h.close();
});

const topLevel = (): SlackMessage[] => topLevelIn(h.slack, ALERT_CHANNEL);

const CONSOLE_USER = {
  type: "AssumedRole",
  principalId: "AROAEXAMPLEADMIN0001:jane",
  arn: "arn:aws:sts::123456789012:assumed-role/Admin/jane",
  accountId: "123456789012",
  accessKeyId: "ASIAEXAMPLEJANE00001",
  sessionContext: {
    sessionIssuer: { type: "Role", principalId: "AROAEXAMPLEADMIN0001", arn: "arn:aws:iam::123456789012:role/Admin", accountId: "123456789012", userName: "Admin" },
    attributes: { creationDate: "2026-11-22T00:00:00Z", mfaAuthenticated: "true" },
  },
};

describe("deletion chains", () => {
  test("the console deleting a role is one top-level alert that grows in place as later steps arrive", async () => {
    const t0 = minutesAgo(3).getTime();
    const at = (s: number) => new Date(t0 + s * 1000);
    const rec = (eventName: string, s: number, params: Record<string, string>) =>
      iamRecord({ eventName, eventTime: at(s), identity: CONSOLE_USER, userAgent: "console.amazonaws.com", requestParameters: params });
    // The first two steps are visible at once; CloudTrail delivers the rest later (a chain split across polls).
    h.cloudtrail.addEvent(rec("RemoveRoleFromInstanceProfile", 0, { roleName: "app-role", instanceProfileName: "app-role" }));
    h.cloudtrail.addEvent(rec("DetachRolePolicy", 2, { roleName: "app-role", policyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" }));
    const app = await h.start({ RESPONDERS: "URESP001" });
    await h.slack.waitFor(() => topLevel().length === 1 && topLevel()[0]!.text?.includes("Deletion chain"), 40_000, "chain of two posted");
    const ts = topLevel()[0]!.ts;

    h.cloudtrail.addEvent(rec("DeleteRolePolicy", 4, { roleName: "app-role", policyName: "inline-s3" }));
    h.cloudtrail.addEvent(rec("DeleteRolePermissionsBoundary", 6, { roleName: "app-role" }));
    h.cloudtrail.addEvent(rec("DeleteRole", 8, { roleName: "app-role" }));
    await h.slack.waitFor(() => allText(topLevel()[0]!).includes("(5 steps)"), 40_000, "chain grew to five steps");
    await app.waitForLog((l) => l.msg === "poll finished");

    const top = topLevel();
    expect(top).toHaveLength(1);
    expect(top[0]!.ts).toBe(ts);
    const body = allText(top[0]!);
    for (const step of ["RemoveRoleFromInstanceProfile", "DetachRolePolicy", "DeleteRolePolicy", "DeleteRolePermissionsBoundary", "DeleteRole"]) {
      expect(body).toContain(step);
    }
    expect(top[0]!.text).toContain("app-role");
    expect(top[0]!.text).toMatch(/^\[(CRITICAL|HIGH)\]/);
    expect(h.slack.callsTo("chat.update").filter((c) => c.status === 200).length).toBeGreaterThan(0);
    // Each step is still its own stored alert: the metadata names the chain, the buttons act on it.
    expect((top[0]!.metadata?.event_payload as { group_id?: string }).group_id).toMatch(/^chain:/);
    expect(JSON.stringify(top[0]!.blocks)).toContain("alert_acknowledge");

    // One Acknowledge covers the chain: the message shows it, and every step is recorded as acknowledged.
    const res = await sendBlockAction(
      `${app.url}/slack/events`,
      SIGNING_SECRET,
      blockActionPayload({ userId: "URESP001", actionId: "alert_acknowledge", value: buttonValue(top[0]!, "alert_acknowledge"), channelId: ALERT_CHANNEL, messageTs: ts }),
    );
    expect(res.status).toBe(200);
    await h.slack.waitFor(() => allText(topLevel()[0]!).includes("Acknowledged by <@URESP001>"), 20_000, "chain acknowledged");
    expect(JSON.stringify(topLevel()[0]!.blocks)).not.toContain("alert_acknowledge");
    const acked = await h.waitForAction((a) => a.action === "acknowledge" && a.result === "ok");
    expect(acked.actor).toBe("URESP001");
    const db = new Database(join(h.dataDir, "trailwatch.db"), { readonly: true });
    try {
      const rows = db.prepare("SELECT event_name, status, acknowledged_by FROM alerts").all() as { status: string; acknowledged_by: string | null }[];
      expect(rows).toHaveLength(5);
      expect(rows.every((r) => r.status === "acknowledged" && r.acknowledged_by === "URESP001")).toBe(true);
    } finally {
      db.close();
    }
  });
});

describe("storm digests", () => {
  test("600 deletions by one actor: at most 10 new top-level posts, every event in the channel or its threads, no 429", async () => {
    // Slack allows about one post per second per channel, and the app's default pacing is 1.1 s. Both are
    // scaled by five here (5 posts/s, 240 ms), so the storm drains in a fifth of the time, with more margin than
    // at real speed: a 429 needs six posts within one second. The storm's pages are read at the highest
    // LOOKUP_RATE allowed (grouping waits for the whole poll). The benchmark measures the default pacing and rate.
    h.slack.setPostRateLimit(5);
    h.slack.setUpdateRateLimit(5);
    // The alerts before the storm.
    h.cloudtrail.addEvent(iamRecord({ eventName: "DeleteAccountPasswordPolicy", eventTime: minutesAgo(15) }));
    h.cloudtrail.addEvent(iamRecord({ eventName: "DeleteLoginProfile", eventTime: minutesAgo(14), requestParameters: { userName: "bob" } }));
    const app = await h.start({ SLACK_POST_INTERVAL_MS: "240", LOOKUP_RATE: "1.8" });
    await h.slack.waitFor(() => topLevel().length === 2, 40_000, "initial alerts");
    const before = topLevel().length;

    const ops: [string, (n: string) => Record<string, string>][] = [
      ["DeleteUser", (n) => ({ userName: n })],
      ["DeleteRole", (n) => ({ roleName: n })],
      ["DeleteGroup", (n) => ({ groupName: n })],
      ["DeletePolicy", (n) => ({ policyArn: `arn:aws:iam::123456789012:policy/${n}` })],
      ["DeleteAccessKey", (n) => ({ userName: n, accessKeyId: "AKIAEXAMPLESTORM0001" })],
    ];
    const start = minutesAgo(4).getTime();
    const names: string[] = [];
    for (let i = 0; i < 600; i++) {
      const name = `storm-${String(i).padStart(4, "0")}`;
      const [eventName, params] = ops[i % ops.length]!;
      names.push(name);
      h.cloudtrail.addEvent(iamRecord({ eventName, eventTime: new Date(start + i * 300), identity: ASSUMED_DEPLOYER, userAgent: "APN/1.0 HashiCorp/1.0 Terraform/1.9.0", requestParameters: params(name) }));
    }
    const visible = (): number => {
      const text = h.slack.messages(ALERT_CHANNEL).map(allText).join("\n");
      return names.filter((n) => text.includes(n)).length;
    };
    // The target is 120 s on an idle machine (see the benchmark); the deadline here is generous for CI.
    await h.slack.waitFor(() => visible() === 600, 240_000, "every storm event visible");

    const newTop = topLevel().length - before;
    expect(newTop).toBeLessThanOrEqual(10);
    const digests = topLevel().filter((m) => m.text?.includes("Deletion storm"));
    expect(digests).toHaveLength(1);
    // Storm events that went out on their own before the storm was recognised (a race with the first page).
    const alone = topLevel().filter((m) => m.text?.includes("storm-") && !m.text.includes("Deletion storm")).length;
    const counted = await h.slack.waitFor(
      () => {
        const d = allText(topLevel().find((m) => m.ts === digests[0]!.ts)!);
        return d.includes(`Deletion storm: ${600 - alone} IAM deletions`) && d;
      },
      60_000,
      "digest counts caught up",
    );
    expect(counted).toContain("DeleteGroup` × 120");
    const write = ["chat.postMessage", "chat.update"].flatMap((m) => h.slack.callsTo(m));
    expect(write.filter((c) => c.status === 429)).toHaveLength(0);
    await app.waitForLog((l) => l.msg === "storm digest opened");
  }, 300_000);

  test("a storm whose first event a rule routes to a team channel: each event is shown in its own rule's channel", async () => {
    const rulesFile = join(h.dataDir, "rules.yml");
    writeFileSync(rulesFile, "rules:\n  - name: logins to team\n    match: { events: DeleteLoginProfile }\n    route: CTEAM0003\n");
    const t0 = minutesAgo(3).getTime();
    const logins: string[] = [];
    const users: string[] = [];
    for (let i = 0; i < 14; i++) {
      // The storm opens with a routed event; before routes split groups, the whole digest followed it.
      const login = i % 5 === 0;
      const name = `${login ? "login" : "user"}-${i}`;
      (login ? logins : users).push(name);
      h.cloudtrail.addEvent(iamRecord({ eventName: login ? "DeleteLoginProfile" : "DeleteUser", eventTime: new Date(t0 + i * 2000), requestParameters: { userName: name } }));
    }
    await h.start({ RULES_FILE: rulesFile });
    const textIn = (ch: string) => h.slack.messages(ch).map(allText).join("\n");
    await h.slack.waitFor(() => users.every((n) => textIn(ALERT_CHANNEL).includes(n)) && logins.every((n) => textIn("CTEAM0003").includes(n)), 60_000, "every event in its channel");
    expect(logins.filter((n) => textIn(ALERT_CHANNEL).includes(n))).toEqual([]);
    expect(users.filter((n) => textIn("CTEAM0003").includes(n))).toEqual([]);
    expect(topLevel().filter((m) => m.text?.includes("Deletion storm"))).toHaveLength(1);
  });

  test("DIGEST_THRESHOLD=1000000 turns digests off", async () => {
    for (let i = 0; i < 12; i++) {
      h.cloudtrail.addEvent(iamRecord({ eventName: "DeleteUser", eventTime: minutesAgo(3), requestParameters: { userName: `off-${i}` } }));
    }
    await h.start({ DIGEST_THRESHOLD: "1000000" });
    await h.slack.waitFor(() => topLevel().length === 12, 60_000, "12 single alerts");
    expect(topLevel().some((m) => m.text?.includes("Deletion storm"))).toBe(false);
  });
});
