// Crash recovery as a service: a request left "executing" is settled from what IAM says, recorded as a system
// action, and shown through the notifier; it is never run again. Against moto's IAM, with an in-memory store
// and a recording notifier (no Slack).
import { AddUserToGroupCommand, CreateGroupCommand, CreateUserCommand, ListGroupsForUserCommand } from "@aws-sdk/client-iam";
import { afterEach, beforeEach, expect, test } from "vitest";
import { recoverExecutingRequests, type RecoveryNotifier } from "../../src/services/recovery.js";
import { createRemediationRequest } from "../../src/services/remediations.js";
import { useMoto } from "../support/moto.js";
import { readdPlan } from "../support/stored.js";
import { APPROVER, listenerHarness, recorded, RESPONDER, seedAlert, type Harness } from "../support/slack-listeners.js";

const moto = useMoto();
let h: Harness;
let seen: string[];
beforeEach(async () => {
  h = await listenerHarness({ iam: moto.get().iam(), cloudtrail: moto.get().cloudtrail() });
  seen = [];
});
afterEach(async () => {
  await h.store.close();
});

const notifier = (): RecoveryNotifier => ({
  alertChanged: (id) => (seen.push(`alert ${id}`), Promise.resolve()),
  requestChanged: (id) => (seen.push(`request ${id}`), Promise.resolve()),
  remediationRecovered: (req, plan, thread, r) => (seen.push(`recovered ${req.id} "${plan.title}" in ${thread.channel}: ${r.outcome}`), Promise.resolve()),
});

const readd = readdPlan();

/** A request approved and claimed for execution, as a crash leaves it. */
async function leftExecuting(id: string): Promise<void> {
  const alert = await seedAlert(h.store, { eventName: "RemoveUserFromGroup", requestParameters: { groupName: "admins", userName: "bob" } }, { ts: "1699999999.000100" });
  await createRemediationRequest(h.deps, { id, plan: readd, requestedBy: RESPONDER, alertEventId: alert.eventId, findingId: null });
  expect(await h.store.claimRemediationRequest(id, "executing", APPROVER, h.deps.now())).toBe(true);
}

test("a change that reached IAM before the crash: succeeded, recorded by system, the alert marked remediated, nothing re-run", async () => {
  const iam = moto.get().iam();
  await iam.send(new CreateUserCommand({ UserName: "bob" }));
  await iam.send(new CreateGroupCommand({ GroupName: "admins" }));
  await iam.send(new AddUserToGroupCommand({ GroupName: "admins", UserName: "bob" }));
  await leftExecuting("req-a");
  const [req] = await h.store.listExecutingRemediationRequests();

  expect(await recoverExecutingRequests(h.deps, notifier(), [req!])).toEqual({ succeeded: 1 });
  const after = await h.store.getRemediationRequest("req-a");
  expect(after?.state).toBe("succeeded");
  expect(seen[0]).toMatch(/^recovered req-a "Re-add user bob to group admins" in C\w+: succeeded$/);
  expect(seen.slice(1)).toEqual(["request req-a", `alert ${after?.alertEventId ?? ""}`]);
  expect((await h.store.getAlert(after?.alertEventId ?? ""))?.status).toBe("remediated");
  const action = (await recorded(h.store)).find((a) => a.action === "remediation-recover");
  expect(action).toMatchObject({ actor: "system", requestId: "req-a", result: "ok", detail: { outcome: "succeeded", reExecuted: false, approvedBy: APPROVER } });
  // A second pass (another replica, a later sweep) finds it settled and shows nothing again.
  expect(await recoverExecutingRequests(h.deps, notifier(), [req!])).toEqual({});
  expect(seen).toHaveLength(3);
});

test("a change that never reached IAM: failed, and the user is still not in the group (the call is not made again)", async () => {
  const iam = moto.get().iam();
  await iam.send(new CreateUserCommand({ UserName: "bob" }));
  await iam.send(new CreateGroupCommand({ GroupName: "admins" }));
  await leftExecuting("req-b");
  const [req] = await h.store.listExecutingRemediationRequests();

  expect(await recoverExecutingRequests(h.deps, notifier(), [req!])).toEqual({ failed: 1 });
  expect((await h.store.getRemediationRequest("req-b"))?.state).toBe("failed");
  expect(seen).toEqual([expect.stringMatching(/: failed$/), "request req-b"]);
  const alert = await h.store.getAlert(req!.alertEventId ?? "");
  expect(alert?.status).not.toBe("remediated");
  expect((await iam.send(new ListGroupsForUserCommand({ UserName: "bob" }))).Groups).toEqual([]);
  expect((await recorded(h.store)).find((a) => a.action === "remediation-recover")).toMatchObject({ result: "error", detail: { notInIam: ["AddUserToGroup"], reExecuted: false } });
});
