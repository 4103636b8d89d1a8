// Crash recovery's read-back (reconcileExecution) against moto: which planned changes IAM shows, for a
// plan whose calls may or may not have been sent. contain-actor is the hard case: the revoke time sent at
// approval is later than the stored plan's.
import { describe, expect, test } from "vitest";
import { IAMClient, PutRolePolicyCommand, TagRoleCommand } from "@aws-sdk/client-iam";
import { executePlan, planRemediation, type RemediationParams, type RemediationPlan } from "../../src/remediation/index.js";
import { reconcileExecution } from "../../src/remediation/reconcile.js";
import { TEST_CREDENTIALS } from "../support/moto.js";
import { ACCOUNT, CTX, createRole, depsFor, tagsOf, useMoto } from "./helpers.js";

const moto = useMoto();

const ROLE_PARAMS: RemediationParams = {
  principalType: "AssumedRole",
  roleName: "deploy-role",
  sessionName: "ci-session",
  actorArn: `arn:aws:sts::${ACCOUNT}:assumed-role/deploy-role/ci-session`,
  accountId: ACCOUNT,
};

function revokeDoc(iso: string): string {
  return JSON.stringify({
    Version: "2012-10-17",
    Statement: [{ Effect: "Deny", Action: ["*"], Resource: ["*"], Condition: { DateLessThan: { "aws:TokenIssueTime": iso } } }],
  });
}

async function storedPlan(): Promise<RemediationPlan> {
  const deps = depsFor(moto.get());
  await createRole(deps.iam, "deploy-role");
  return JSON.parse(JSON.stringify(await planRemediation("contain-actor", ROLE_PARAMS, deps, CTX.requestId))) as RemediationPlan;
}

describe("reconcileExecution", () => {
  test("every change in IAM (sent at approval, with a later revoke time than planned): succeeded", async () => {
    const plan = await storedPlan();
    await executePlan(plan, depsFor(moto.get(), { now: () => new Date("2025-03-01T12:20:00.000Z") }), CTX);
    const r = await reconcileExecution(plan, depsFor(moto.get()));
    expect(r.outcome).toBe("succeeded");
    expect(r.result.ok).toBe(true);
    expect(r.result.summary).toBe("revoked sessions of role deploy-role issued before 2025-03-01T12:20:00.000Z (confirmed by reading IAM back after a restart)");
    expect(r.readBack.map((b) => b.status)).toEqual(["confirmed", "confirmed"]);
  });

  test("a crash between the two calls: failed, with what is and is not in IAM", async () => {
    const plan = await storedPlan();
    const iam = moto.get().iam();
    await iam.send(new PutRolePolicyCommand({ RoleName: "deploy-role", PolicyName: "TrailwatchRevokeOlderSessions", PolicyDocument: revokeDoc("2025-03-01T12:05:00.000Z") }));
    const r = await reconcileExecution(plan, depsFor(moto.get()));
    expect(r.outcome).toBe("failed");
    expect(r.result.done.map((c) => c.api)).toEqual(["PutRolePolicy"]);
    expect(r.result.notDone.map((c) => c.api)).toEqual(["TagRole"]);
    expect(r.result.summary).toBe('"Revoke active sessions of role deploy-role" did not complete: 1 of 2 planned changes are in IAM');
  });

  test("nothing sent, or only an older containment in place: nothing of this request is confirmed", async () => {
    const plan = await storedPlan();
    const iam = moto.get().iam();
    // A policy from an earlier containment, older than this plan: not what this request would have sent.
    await iam.send(new PutRolePolicyCommand({ RoleName: "deploy-role", PolicyName: "TrailwatchRevokeOlderSessions", PolicyDocument: revokeDoc("2025-02-01T00:00:00.000Z") }));
    await iam.send(new TagRoleCommand({ RoleName: "deploy-role", Tags: tagsOf("SOMEONE-ELSE", "contain-actor") }));
    const r = await reconcileExecution(plan, depsFor(moto.get()));
    expect(r.outcome).toBe("failed");
    expect(r.readBack.map((b) => b.status)).toEqual(["absent", "absent"]);
  });

  test("nothing sent at all (no policy, no tags): failed, 0 of 2", async () => {
    const plan = await storedPlan();
    const r = await reconcileExecution(plan, depsFor(moto.get()));
    expect(r.outcome).toBe("failed");
    expect(r.readBack.map((b) => b.status)).toEqual(["absent", "absent"]);
    expect(r.result.summary).toContain("0 of 2 planned changes are in IAM");
  });

  test("IAM cannot be read: unknown, never failed or succeeded by guess", async () => {
    const plan = await storedPlan();
    const unreachable = new IAMClient({ endpoint: "http://127.0.0.1:9", region: "us-east-1", credentials: TEST_CREDENTIALS, maxAttempts: 1 });
    const r = await reconcileExecution(plan, depsFor(moto.get(), { iam: unreachable }));
    expect(r.outcome).toBe("unknown");
    expect(r.result.ok).toBe(false);
    expect(r.result.unreadable).toEqual(["PutRolePolicy", "TagRole"]);
  });
});
