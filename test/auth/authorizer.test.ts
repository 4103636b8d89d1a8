// Group membership against the fake Slack Web API, with an injected clock: a membership answer is trusted
// for at most ten minutes when Slack cannot be asked; after that only explicitly listed user ids may act.
import { WebClient } from "@slack/web-api";
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { Authorizer, GROUP_MAX_AGE_MS } from "../../src/auth/index.js";
import { createLogger } from "../../src/log.js";
import { startFakeSlack, type FakeSlack } from "../fakes/slack.js";

const GROUP = "SAPPROVERS";
const MINUTE = 60_000;
let slack: FakeSlack;
let client: WebClient;
let t: number;
const clock = () => t;

beforeAll(async () => {
  slack = await startFakeSlack();
  client = new WebClient("xoxb-test", { slackApiUrl: `${slack.url}/api/`, retryConfig: { retries: 0 } });
});
afterAll(async () => {
  await slack.close();
});
beforeEach(() => {
  slack.reset();
  slack.setUsergroup(GROUP, ["UGROUPED"]);
  t = 1_000_000;
});

const authorizer = () => new Authorizer(client, [], [GROUP, "UEXPLICIT"], createLogger("silent"), clock);
/** Slack answers every usergroups.users.list with an error from now on (until reset). */
const breakUsergroups = () => { slack.failNext("usergroups.users.list", 1000, { error: "fatal_error" }); };

describe("Authorizer", () => {
  test("a group member is an approver while Slack answers; a member removed from the group is not, after the refresh", async () => {
    const auth = authorizer();
    expect(await auth.isApprover("UGROUPED")).toBe(true);
    expect(await auth.isResponder("UGROUPED")).toBe(true);
    slack.setUsergroup(GROUP, []);
    t += 2 * MINUTE;
    expect(await auth.isApprover("UGROUPED")).toBe(false);
  });

  test("within ten minutes of the last answer, a failing Slack leaves the last known members in place", async () => {
    const auth = authorizer();
    expect(await auth.isApprover("UGROUPED")).toBe(true);
    breakUsergroups();
    t += 9 * MINUTE;
    expect(await auth.isApprover("UGROUPED")).toBe(true);
    // Slack was asked again (the answer was older than the one-minute refresh), and failed.
    expect(slack.callsTo("usergroups.users.list").filter((c) => c.error === "fatal_error").length).toBeGreaterThan(0);
  });

  test("a stale group cache while Slack fails refuses the group's members; an explicitly listed user still may act", async () => {
    const auth = authorizer();
    expect(await auth.isApprover("UGROUPED")).toBe(true);
    breakUsergroups();
    t += GROUP_MAX_AGE_MS + 1;
    expect(await auth.isApprover("UGROUPED")).toBe(false);
    expect(await auth.isResponder("UGROUPED")).toBe(false);
    expect(await auth.isApprover("UEXPLICIT")).toBe(true);
    expect(auth.unverifiedGroups).toEqual([GROUP]);
    // Once Slack answers again, membership counts again.
    slack.reset();
    slack.setUsergroup(GROUP, ["UGROUPED"]);
    expect(await auth.isApprover("UGROUPED")).toBe(true);
    expect(auth.unverifiedGroups).toEqual([]);
  });

  test("with no answer at all (Slack failing since start-up), group members are refused", async () => {
    breakUsergroups();
    const auth = authorizer();
    expect(await auth.isApprover("UGROUPED")).toBe(false);
    expect(await auth.isApprover("UEXPLICIT")).toBe(true);
    expect(await auth.isApprover("USTRANGER")).toBe(false);
  });
});
