// Crash recovery between replicas on PostgreSQL, against the real processes. The standby replica receives the
// approval and executes it; its IAM write is held at an AWS proxy so the test knows the execution is in flight.
// - Killed with -9 there, its request stays "executing": the leader finds its replica gone and settles it by
//   reading IAM back, posts the outcome in the thread once, and no IAM write is made again.
// - Alive there, its execution is left alone by the leader's sweeps and finishes as usual, with no recovery post.
import { CreateInstanceProfileCommand, CreateRoleCommand, GetInstanceProfileCommand } from "@aws-sdk/client-iam";
import pg from "pg";
import { afterAll, beforeAll, expect, test } from "vitest";
import { startAwsProxy, type AwsProxy } from "../audit/support/aws-proxy.js";
import type { SlackMessage } from "../fakes/slack.js";
import { blockActionPayload, sendBlockAction, sendViewSubmission, viewSubmissionPayload } from "../fakes/slack-request.js";
import type { AppProcess, LogLine } from "../support/app-process.js";
import { ALERT_CHANNEL, SIGNING_SECRET, startHarness, type Harness } from "../support/harness.js";
import { postgresUnavailable, startPostgres, type PgCluster } from "../support/postgres.js";
import { iamRecord } from "../support/records.js";
import { buttonValue } from "../support/slack-helpers.js";

const REQUESTER = "UAPPR001";
const APPROVER = "UAPPR002";
const RECOVERED = "trailwatch stopped while this remediation was executing";

const missing = postgresUnavailable();
if (missing) console.warn(`skipping the PostgreSQL replica crash-recovery tests: ${missing}`);

let h: Harness;
let cluster: PgCluster;
let proxy: AwsProxy;
beforeAll(async () => {
  if (missing) return;
  cluster = await startPostgres();
  h = await startHarness({ moto: true });
  proxy = await startAwsProxy(h.moto!.endpoint);
});
afterAll(async () => {
  if (missing) return;
  await proxy.stop();
  await h.close();
  await cluster.stop();
});

const click = (url: string, user: string, actionId: string, value: string, msg: SlackMessage) =>
  sendBlockAction(`${url}/slack/events`, SIGNING_SECRET, blockActionPayload({ userId: user, actionId, value, channelId: msg.channel, messageTs: msg.ts }));

/** A leader and a standby on a fresh database, IAM through the proxy. Returns them and the standby's instance id. */
async function replicas(db: string): Promise<{ leader: AppProcess; standby: AppProcess; standbyId: string; url: string }> {
  const url = await cluster.createDatabase(db);
  const env = { DATABASE_URL: url, LEASE_TTL_SECONDS: "2", APPROVERS: `${REQUESTER},${APPROVER}`, AWS_ENDPOINT_URL_IAM: proxy.endpoint, REMEDIATION_VERIFY_DELAYS_MS: "100,300" };
  const leader = await h.start(env);
  await leader.waitForLog((l) => l.msg === "poll finished", 40_000);
  const standby = await h.start(env);
  const line = await standby.waitForLog((l) => l.msg.startsWith("another replica leads"), 40_000);
  return { leader, standby, standbyId: String(line.owner), url };
}

/** An alert for a role removed from an instance profile, and a remediation requested through `via`. */
async function requestThrough(via: AppProcess, eventId: string, role: string, profile: string): Promise<{ alert: SlackMessage; request: SlackMessage; requestId: string }> {
  const iam = h.moto!.iam();
  await iam.send(new CreateRoleCommand({ RoleName: role, AssumeRolePolicyDocument: JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }] }) }));
  await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: profile }));
  h.cloudtrail.addEvent(iamRecord({ eventId, eventName: "RemoveRoleFromInstanceProfile", eventTime: new Date(Date.now() - 60_000), requestParameters: { instanceProfileName: profile, roleName: role } }));
  const alert = await h.slack.waitFor(
    (s) => s.messages(ALERT_CHANNEL).find((m) => (m.metadata?.event_payload as { event_id?: string } | undefined)?.event_id === eventId),
    40_000,
    "alert",
  );
  const viewsBefore = h.slack.views.length;
  await click(via.url, REQUESTER, "alert_remediate", eventId, alert);
  const view = await h.slack.waitFor((s) => (s.views.length > viewsBefore && s.views.at(-1)?.updates ? s.views.at(-1) : undefined), 15_000, "remediation modal with plans");
  await sendViewSubmission(
    `${via.url}/slack/events`,
    SIGNING_SECRET,
    viewSubmissionPayload({
      userId: REQUESTER,
      callbackId: "remediate_modal",
      privateMetadata: String(view.view.private_metadata),
      values: { remediation_choice: { remediation_choice_input: { type: "radio_buttons", selected_option: { text: { type: "plain_text", text: "readd-role-to-instance-profile" }, value: "readd-role-to-instance-profile" } } } },
    }),
  );
  const request = await h.slack.waitFor(
    (s) => s.messages(ALERT_CHANNEL).find((m) => m.thread_ts === alert.ts && JSON.stringify(m.blocks).includes("remediation_approve")),
    15_000,
    "remediation request message",
  );
  return { alert, request, requestId: buttonValue(request, "remediation_approve") };
}

/**
 * Holds the answer to AddRoleToInstanceProfile at the proxy: the write reaches IAM, then `reached` resolves and the
 * executing replica waits for its answer until `release`.
 */
function holdWrite(): { reached: Promise<void>; release: () => void } {
  let reachedNow: () => void = () => undefined;
  let release: () => void = () => undefined;
  const reached = new Promise<void>((r) => {
    reachedNow = r;
  });
  const gate = new Promise<void>((r) => {
    release = r;
  });
  proxy.on("AddRoleToInstanceProfile", async (_call, forward) => {
    const answer = await forward();
    reachedNow();
    await gate;
    return answer;
  });
  return { reached, release };
}

async function query<T extends pg.QueryResultRow>(url: string, text: string, params: unknown[] = []): Promise<T[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return (await c.query<T>(text, params)).rows;
  } finally {
    await c.end();
  }
}

const sweepLine = (l: LogLine) => l.msg === "checked remediations left executing";
const threadOf = (alert: SlackMessage) => h.slack.messages(ALERT_CHANNEL).filter((m) => m.thread_ts === alert.ts && m.ts !== alert.ts);
const writes = () => proxy.calls.filter((c) => c.action === "AddRoleToInstanceProfile").length;

test.skipIf(missing !== null)("a replica killed -9 mid-execution: the leader settles it from IAM, posts it once, and nothing is executed again", async () => {
  proxy.clear();
  const { leader, standby, standbyId, url } = await replicas("killed");
  const { alert, request, requestId } = await requestThrough(standby, "00000001-0000-4000-8000-00000000c001", "web-role", "web-profile");
  const held = holdWrite();
  // Approved through the standby: it claims the request and executes it.
  const clicked = click(standby.url, APPROVER, "remediation_approve", requestId, request).catch(() => undefined);
  await held.reached;
  const [row] = await query<{ state: string; executed_by: string }>(url, "SELECT state, executed_by FROM remediation_requests WHERE id = $1", [requestId]);
  expect(row).toEqual({ state: "executing", executed_by: standbyId });

  // The crash: the write has reached IAM, and the replica dies before it learns the answer.
  await standby.kill();
  held.release();
  await clicked;
  const iam = h.moto!.iam();

  const settled = await leader.waitForLog((l) => l.msg === "remediations left executing by a stopped replica were reconciled from IAM", 40_000);
  // The plan re-adds the role, then tags the profile: the crash came between the two, so IAM shows it incomplete.
  expect(settled.counts).toEqual({ failed: 1 });
  // A later sweep finds nothing executing, and the outcome was posted once.
  const sweepsBefore = leader.logs.filter(sweepLine).length;
  await leader.waitForLog((l) => sweepLine(l) && leader.logs.filter(sweepLine).indexOf(l) >= sweepsBefore && l.executing === 0, 40_000);
  const recovered = threadOf(alert).filter((m) => JSON.stringify(m.blocks).includes(RECOVERED));
  expect(recovered).toHaveLength(1);
  expect(JSON.stringify(recovered[0]?.blocks)).toContain("Remediation incomplete");
  expect(JSON.stringify(recovered[0]?.blocks)).toContain("In IAM");
  expect(JSON.stringify(recovered[0]?.blocks)).toContain("It was not run again");
  expect(JSON.stringify(recovered[0]?.blocks)).toContain(`<@${APPROVER}>`);

  // Stored and recorded as the bot's own action, naming the replica that was executing; never re-executed.
  expect(await query(url, "SELECT state FROM remediation_requests WHERE id = $1", [requestId])).toEqual([{ state: "failed" }]);
  const actions = await query<{ actor: string; result: string; detail_json: string }>(url, "SELECT actor, result, detail_json FROM actions WHERE action = 'remediation-recover' AND request_id = $1", [requestId]);
  expect(actions.map((a) => [a.actor, a.result, (JSON.parse(a.detail_json) as { executedBy: string; reExecuted: boolean }).executedBy, (JSON.parse(a.detail_json) as { reExecuted: boolean }).reExecuted])).toEqual([["system", "error", standbyId, false]]);
  // The one write made before the crash, and nothing after it: neither repeated nor completed by the leader.
  expect(writes()).toBe(1);
  expect(proxy.calls.filter((c) => c.action === "TagInstanceProfile")).toEqual([]);
  const profile = await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: "web-profile" }));
  expect(profile.InstanceProfile?.Roles?.map((r) => r.RoleName)).toEqual(["web-role"]);
  await leader.stop();
}, 240_000);

test.skipIf(missing !== null)("a live replica's execution in flight is left alone by the leader and finishes as usual", async () => {
  proxy.clear();
  const { leader, standby, url } = await replicas("alive");
  const { alert, request, requestId } = await requestThrough(standby, "00000001-0000-4000-8000-00000000c002", "api-role", "api-profile");
  const held = holdWrite();
  const clicked = click(standby.url, APPROVER, "remediation_approve", requestId, request);
  await held.reached;

  // Two of the leader's sweeps see the execution and find its replica alive.
  const sweepsBefore = leader.logs.filter(sweepLine).length;
  const seen = () => leader.logs.filter(sweepLine).slice(sweepsBefore).filter((l) => l.executing === 1);
  await leader.waitForLog(() => seen().length >= 2, 40_000);
  expect(seen().map((l) => l.orphaned)).toEqual(seen().map(() => 0));
  expect(await query(url, "SELECT state FROM remediation_requests WHERE id = $1", [requestId])).toEqual([{ state: "executing" }]);

  held.release();
  await clicked;
  await h.slack.waitFor(() => threadOf(alert).find((m) => (m.text ?? "").startsWith("Remediated")), 30_000, "outcome posted by the executing replica");
  // A sweep after the outcome finds nothing executing; nothing was recovered or posted twice.
  const after = leader.logs.filter(sweepLine).length;
  await leader.waitForLog((l) => sweepLine(l) && leader.logs.filter(sweepLine).indexOf(l) >= after && l.executing === 0, 40_000);
  expect(threadOf(alert).filter((m) => JSON.stringify(m.blocks).includes(RECOVERED))).toEqual([]);
  expect(threadOf(alert).filter((m) => /^Remediat(ed|ion failed)/.test(m.text ?? ""))).toHaveLength(1);
  expect(leader.logs.some((l) => l.msg === "remediations left executing by a stopped replica were reconciled from IAM")).toBe(false);
  expect(await query(url, "SELECT COUNT(*)::int AS n FROM actions WHERE action = 'remediation-recover'")).toEqual([{ n: 0 }]);
  expect(await query(url, "SELECT state FROM remediation_requests WHERE id = $1", [requestId])).toEqual([{ state: "succeeded" }]);
  expect(writes()).toBe(1);
  await standby.stop();
  await leader.stop();
}, 240_000);

test.skipIf(missing !== null)("the leader killed -9 mid-execution: the replica taking the lead settles it, posting it once", async () => {
  proxy.clear();
  const { leader, standby, url } = await replicas("leader-killed");
  const leaderId = String((await leader.waitForLog((l) => l.msg === "poller lease acquired")).owner);
  const { alert, request, requestId } = await requestThrough(leader, "00000001-0000-4000-8000-00000000c003", "db-role", "db-profile");
  const held = holdWrite();
  const clicked = click(leader.url, APPROVER, "remediation_approve", requestId, request).catch(() => undefined);
  await held.reached;
  await leader.kill();
  held.release();
  await clicked;

  await standby.waitForLog((l) => l.msg.startsWith("took the lead"), 40_000);
  const settled = await standby.waitForLog((l) => l.msg === "remediations left executing by a stopped replica were reconciled from IAM", 40_000);
  expect(settled.counts).toEqual({ failed: 1 });
  expect(settled.requests).toEqual([{ id: requestId, executedBy: leaderId }]);
  const sweepsBefore = standby.logs.filter(sweepLine).length;
  await standby.waitForLog((l) => sweepLine(l) && standby.logs.filter(sweepLine).indexOf(l) >= sweepsBefore && l.executing === 0, 40_000);
  expect(threadOf(alert).filter((m) => JSON.stringify(m.blocks).includes(RECOVERED))).toHaveLength(1);
  expect(await query(url, "SELECT state FROM remediation_requests WHERE id = $1", [requestId])).toEqual([{ state: "failed" }]);
  expect(writes()).toBe(1);
  expect(proxy.calls.filter((c) => c.action === "TagInstanceProfile")).toEqual([]);
  await standby.stop();
}, 240_000);
