// A deletion chain's Remediate offers ONE Restore that rebuilds the chain's root as of the last snapshot before
// its first step, first in the list; a chain that did not delete its root offers none; digests never do.
import { describe, expect, test } from "vitest";
import type { IamEvent } from "../../src/domain.js";
import type { ResourceRef } from "../../src/grouping/keys.js";
import { groupOffers, type GroupRemediationContext } from "../../src/services/groups.js";
import type { AlertRecord } from "../../src/store/types.js";
import { ACCOUNT, BOT, iamEvent } from "../remediation/helpers.js";

const T0 = new Date("2026-03-01T10:00:00.000Z");

function member(eventName: string, params: Record<string, unknown>, i: number, outcome: "success" | "failure" = "success"): AlertRecord {
  const eventTime = new Date(T0.getTime() + i * 1000);
  const event: IamEvent = { ...iamEvent(eventName, params, undefined, { eventTime }), eventId: `ev-${i}` };
  return { eventId: `ev-${i}`, eventName, outcome, event, eventTime, detectedAt: eventTime } as unknown as AlertRecord;
}

function chain(root: ResourceRef, members: AlertRecord[], kind: "chain" | "digest" = "chain"): GroupRemediationContext {
  return { groupId: "g1", kind, accountId: ACCOUNT, root, members, firstEventAt: T0 };
}

const roleSteps = [
  member("RemoveRoleFromInstanceProfile", { instanceProfileName: "app-profile", roleName: "app-role" }, 0),
  member("DetachRolePolicy", { roleName: "app-role", policyArn: `arn:aws:iam::${ACCOUNT}:policy/app-read` }, 1),
  member("DeleteRolePolicy", { roleName: "app-role", policyName: "app-inline" }, 2),
  member("DeleteRolePermissionsBoundary", { roleName: "app-role" }, 3),
  member("DeleteRole", { roleName: "app-role" }, 4),
];

describe("groupOffers: one Restore for a whole chain", () => {
  test("a role chain offers restore-role first, once, before the chain's first event", () => {
    const offers = groupOffers(chain({ type: "role", name: "app-role" }, roleSteps), BOT);
    expect(offers[0]).toEqual({ id: "restore-role", params: { roleName: "app-role", before: "2026-03-01T10:00:00.000Z" } });
    expect(offers.filter((o) => o.id.startsWith("restore-"))).toHaveLength(1);
    // The per-step undos stay available after it.
    expect(offers.map((o) => o.id)).toContain("reattach-managed-policy");
  });

  test("user, group and policy chains offer their own restore; an instance profile chain too", () => {
    const user = groupOffers(chain({ type: "user", name: "app-user" }, [member("DeleteUserPolicy", { userName: "app-user", policyName: "q" }, 0), member("DeleteUser", { userName: "app-user" }, 1)]), BOT);
    expect(user[0]).toEqual({ id: "restore-user", params: { userName: "app-user", before: T0.toISOString() } });
    const group = groupOffers(chain({ type: "group", name: "ops" }, [member("DeleteGroupPolicy", { groupName: "ops", policyName: "x" }, 0), member("DeleteGroup", { groupName: "ops" }, 1)]), BOT);
    expect(group[0]).toEqual({ id: "restore-group", params: { groupName: "ops", before: T0.toISOString() } });
    const arn = `arn:aws:iam::${ACCOUNT}:policy/app-read`;
    const policy = groupOffers(chain({ type: "policy", name: arn }, [member("DeletePolicyVersion", { policyArn: arn, versionId: "v2" }, 0), member("DeletePolicy", { policyArn: arn }, 1)]), BOT);
    expect(policy[0]).toEqual({ id: "restore-managed-policy", params: { policyArn: arn, before: T0.toISOString() } });
  });

  test("no whole-resource restore when the root was not deleted (or its deletion failed), nor for a digest", () => {
    const stripped = groupOffers(chain({ type: "role", name: "app-role" }, roleSteps.slice(0, 4)), BOT);
    expect(stripped.some((o) => o.id === "restore-role")).toBe(false);
    const failed = groupOffers(chain({ type: "role", name: "app-role" }, [...roleSteps.slice(0, 4), member("DeleteRole", { roleName: "app-role" }, 4, "failure")]), BOT);
    expect(failed.some((o) => o.id === "restore-role")).toBe(false);
    // A DeleteRole of another role in the same group does not make this root restorable.
    const other = groupOffers(chain({ type: "role", name: "app-role" }, [...roleSteps.slice(0, 4), member("DeleteRole", { roleName: "other-role" }, 4)]), BOT);
    expect(other.some((o) => o.id === "restore-role")).toBe(false);
    const digest = groupOffers(chain({ type: "role", name: "app-role" }, roleSteps, "digest"), BOT);
    expect(digest.every((o) => o.id === "contain-actor")).toBe(true);
  });
});
