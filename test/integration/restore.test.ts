// Restore, black-box (issue 10's acceptance): the real app process takes its first IAM snapshot of moto at
// start-up; the role and the user are then deleted the console's way in moto and CloudTrail shows those
// events. Each deletion chain is one top-level alert; one Restore is requested from each chain alert with
// signed Slack requests and approved by a second approver. IAM must be back as it was, and the plan must
// name the role's new unique id.
import {
  DeleteInstanceProfileCommand,
  DeleteRoleCommand,
  DeleteRolePermissionsBoundaryCommand,
  DeleteRolePolicyCommand,
  DeleteUserCommand,
  DeleteUserPolicyCommand,
  DetachRolePolicyCommand,
  GetInstanceProfileCommand,
  GetRoleCommand,
  GetRolePolicyCommand,
  GetUserPolicyCommand,
  ListAttachedRolePoliciesCommand,
  ListRoleTagsCommand,
  RemoveRoleFromInstanceProfileCommand,
} from "@aws-sdk/client-iam";
import { afterAll, beforeAll, expect, test } from "vitest";
import type { SlackMessage } from "../fakes/slack.js";
import { sendSlashCommand } from "../fakes/slack-request.js";
import type { AppProcess } from "../support/app-process.js";
import { ALERT_CHANNEL, SIGNING_SECRET, startHarness, type Harness } from "../support/harness.js";
import { APP_PROFILE, APP_ROLE, APP_USER, BOUNDARY_ARN, MANAGED_ARN, PROFILE_TAGS, ROLE_INLINE, ROLE_TAGS, seedAcceptanceIam, TRUST, USER_INLINE } from "../support/iam-seed.js";
import { iamRecord } from "../support/records.js";
import { decodePolicyDocument } from "../../src/remediation/aws.js";
import { remediateAndApprove } from "../support/remediate.js";
import { allText, topLevel as topLevelIn } from "../support/slack-helpers.js";

const REQUESTER = "UAPPR001";
const APPROVER = "UAPPR002";

let h: Harness;
let app: AppProcess;
let events: string;
let oldRoleId = "";

beforeAll(async () => {
  h = await startHarness({ moto: true });
  const iam = h.moto!.iam();
  await seedAcceptanceIam(iam);
  oldRoleId = (await iam.send(new GetRoleCommand({ RoleName: APP_ROLE }))).Role?.RoleId ?? "";
  app = await h.start({ RESPONDERS: REQUESTER, APPROVERS: `${REQUESTER},${APPROVER}`, SNAPSHOT_SCHEDULE: "0 0 1 1 *" });
  events = `${app.url}/slack/events`;
}, 120_000);
afterAll(async () => {
  await h.close();
});

/** Remediate → modal with plans → submit the restore → request message in the thread; then a second approver approves. */
const restoreFrom = (msg: SlackMessage, remediationId: string) => remediateAndApprove(h.slack, events, msg, remediationId, REQUESTER, APPROVER);

const topLevel = (): SlackMessage[] => topLevelIn(h.slack, ALERT_CHANNEL);
const textOf = allText;

test("a role and a user deleted the console's way are one chain alert each, and one Restore from each brings everything back", async () => {
  await app.waitForLog((l) => l.msg === "IAM snapshot stored", 60_000);
  await new Promise((r) => setTimeout(r, 1100)); // CloudTrail times have whole seconds: the deletion is after the snapshot
  const iam = h.moto!.iam();
  const t = new Date();
  // The console's order for a role (profile emptied and deleted, policies and boundary off, then the role)
  // and for a user (its inline policy, then the user).
  const roleChain: [string, Record<string, unknown>][] = [
    ["RemoveRoleFromInstanceProfile", { instanceProfileName: APP_PROFILE, roleName: APP_ROLE }],
    ["DetachRolePolicy", { roleName: APP_ROLE, policyArn: MANAGED_ARN }],
    ["DeleteRolePolicy", { roleName: APP_ROLE, policyName: "app-inline" }],
    ["DeleteRolePermissionsBoundary", { roleName: APP_ROLE }],
    ["DeleteRole", { roleName: APP_ROLE }],
    ["DeleteInstanceProfile", { instanceProfileName: APP_PROFILE }],
  ];
  const userChain: [string, Record<string, unknown>][] = [
    ["DeleteUserPolicy", { userName: APP_USER, policyName: "queue-access" }],
    ["DeleteUser", { userName: APP_USER }],
  ];
  await iam.send(new RemoveRoleFromInstanceProfileCommand({ InstanceProfileName: APP_PROFILE, RoleName: APP_ROLE }));
  await iam.send(new DetachRolePolicyCommand({ RoleName: APP_ROLE, PolicyArn: MANAGED_ARN }));
  await iam.send(new DeleteRolePolicyCommand({ RoleName: APP_ROLE, PolicyName: "app-inline" }));
  await iam.send(new DeleteRolePermissionsBoundaryCommand({ RoleName: APP_ROLE }));
  await iam.send(new DeleteRoleCommand({ RoleName: APP_ROLE }));
  await iam.send(new DeleteInstanceProfileCommand({ InstanceProfileName: APP_PROFILE }));
  await iam.send(new DeleteUserPolicyCommand({ UserName: APP_USER, PolicyName: "queue-access" }));
  await iam.send(new DeleteUserCommand({ UserName: APP_USER }));
  const ids: Record<string, string> = {};
  [...roleChain, ...userChain].forEach(([eventName, requestParameters], i) => {
    ids[eventName] = `1111111${i}-aaaa-bbbb-cccc-dddddddddddd`;
    h.cloudtrail.addEvent(iamRecord({ eventId: ids[eventName], eventName, eventTime: new Date(t.getTime() + i * 1000), requestParameters }));
  });

  // Each chain is one top-level message that lists every step; no step is posted on its own.
  const roleAlert = await h.slack.waitFor(
    () => topLevel().find((m) => textOf(m).includes("Deletion chain") && textOf(m).includes(APP_ROLE) && textOf(m).includes("(6 steps)")),
    60_000,
    "role chain with six steps",
  );
  const userAlert = await h.slack.waitFor(
    () => topLevel().find((m) => textOf(m).includes("Deletion chain") && textOf(m).includes(APP_USER) && textOf(m).includes("(2 steps)")),
    60_000,
    "user chain with two steps",
  );
  await app.waitForLog((l) => l.msg === "poll finished");
  const top = topLevel();
  expect(top.filter((m) => textOf(m).includes(APP_ROLE) || textOf(m).includes(APP_PROFILE)).map((m) => m.ts)).toEqual([roleAlert.ts]);
  expect(top.filter((m) => textOf(m).includes(APP_USER)).map((m) => m.ts)).toEqual([userAlert.ts]);
  for (const [name] of roleChain) expect(textOf(roleAlert)).toContain(name);
  // The chain says its single Restore can run, from the snapshot taken before its first step.
  expect(JSON.stringify(roleAlert.blocks)).toMatch(/Restore:\* restorable from the snapshot of \d{4}-\d\d-\d\d \d\d:\d\d UTC/);

  const role = await restoreFrom(roleAlert, "restore-role");
  // One Restore for the whole chain: the modal offers restore-role once, pinned before the chain's first step.
  const offered = [...role.modal.matchAll(/"text":\{"type":"plain_text","text":"([^"]*)"[^}]*\},"value":"restore-role"/g)].map((m) => m[1]);
  expect(offered).toHaveLength(1);
  expect(offered[0]).toMatch(/^Restore role app-role from snapshot #\d+$/);
  expect(role.modal).toContain(`the restored role will have a new RoleId; the old one was ${oldRoleId}`);
  expect(role.request).toContain(oldRoleId);
  for (const api of ["CreateInstanceProfile", "CreateRole", "PutRolePolicy", "AttachRolePolicy", "AddRoleToInstanceProfile"]) expect(role.modal).toContain(api);
  expect(role.outcome).toContain("verified");

  const restored = (await iam.send(new GetRoleCommand({ RoleName: APP_ROLE }))).Role;
  expect(restored).toMatchObject({ Path: "/apps/", Description: "payments worker", MaxSessionDuration: 7200, PermissionsBoundary: { PermissionsBoundaryArn: BOUNDARY_ARN } });
  expect(restored?.RoleId).not.toBe(oldRoleId);
  expect(decodePolicyDocument(restored?.AssumeRolePolicyDocument ?? "")).toEqual(JSON.parse(TRUST));
  expect((await iam.send(new ListRoleTagsCommand({ RoleName: APP_ROLE }))).Tags).toEqual(expect.arrayContaining(ROLE_TAGS));
  expect(decodePolicyDocument((await iam.send(new GetRolePolicyCommand({ RoleName: APP_ROLE, PolicyName: "app-inline" }))).PolicyDocument ?? "")).toEqual(JSON.parse(ROLE_INLINE));
  expect((await iam.send(new ListAttachedRolePoliciesCommand({ RoleName: APP_ROLE }))).AttachedPolicies?.map((p) => p.PolicyArn)).toEqual([MANAGED_ARN]);
  const profile = (await iam.send(new GetInstanceProfileCommand({ InstanceProfileName: APP_PROFILE }))).InstanceProfile;
  expect(profile?.Path).toBe("/apps/");
  expect(profile?.Tags).toEqual(expect.arrayContaining(PROFILE_TAGS));
  expect(profile?.Roles?.map((r) => r.RoleName)).toEqual([APP_ROLE]);

  const user = await restoreFrom(userAlert, "restore-user");
  expect(user.outcome).toContain("verified");
  const doc = (await iam.send(new GetUserPolicyCommand({ UserName: APP_USER, PolicyName: "queue-access" }))).PolicyDocument;
  expect(decodePolicyDocument(doc ?? "")).toEqual(JSON.parse(USER_INLINE));
}, 240_000);

test("/iam-audit snapshot: responders take one on demand; an unchanged IAM is confirmed, not stored again; others are refused", async () => {
  let seq = 0;
  const ask = async (user: string): Promise<string> => {
    const id = `snap-${++seq}`;
    const res = await sendSlashCommand(events, SIGNING_SECRET, { command: "/iam-audit", text: "snapshot", user_id: user, channel_id: ALERT_CHANNEL, response_url: h.slack.responseUrl(id) });
    expect(res.status).toBe(200);
    const ack = res.body ? ((JSON.parse(res.body) as { text?: string }).text ?? "") : "";
    if (/not allowed/.test(ack)) return ack;
    const posts = await h.slack.waitFor((sl) => (sl.responses(id).length > 0 ? sl.responses(id) : undefined), 60_000, "snapshot answer");
    return posts.map((p) => (p.body as { text?: string }).text ?? "").join("\n");
  };
  const first = await ask(REQUESTER);
  expect(first).toMatch(/^(Stored IAM snapshot #\d+ \(|IAM is unchanged since snapshot #\d+)/);
  const second = await ask(REQUESTER);
  expect(second).toMatch(/^IAM is unchanged since snapshot #\d+ of .*: confirmed at .*, nothing new stored\. \d+ AWS calls in/);
  expect(await ask("UOUTSIDER")).toMatch(/not allowed/);
}, 120_000);
