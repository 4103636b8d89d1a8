// Pure helpers of the restores: parameter checks, tags within IAM's limit, policy summaries, trust lookups.
import { describe, expect, test } from "vitest";
import { checkSnapshotParams, policySummary, restoreTags, trustPoliciesNaming } from "../../src/remediation/restore/common.js";
import type { IamSnapshot } from "../../src/snapshot/model.js";
import type { PlanContext } from "../../src/remediation/types.js";

const ctx = { requestId: "REQ-1", observations: [], now: new Date(), deps: {} } as unknown as PlanContext;

describe("restore helpers", () => {
  test("snapshotId or an ISO time is required, and nothing else passes", () => {
    expect(checkSnapshotParams({})).toBe("missing parameter snapshotId or before");
    expect(checkSnapshotParams({ snapshotId: "12" })).toBeNull();
    expect(checkSnapshotParams({ before: "2025-02-28T09:15:00Z" })).toBeNull();
    expect(checkSnapshotParams({ snapshotId: "1; DROP" })).toBe("parameter snapshotId must be a snapshot number");
    expect(checkSnapshotParams({ before: "yesterday" })).toMatch(/^parameter before must be an ISO time/);
  });

  test("tags: the original ones first, trailwatch's within the 50-tag limit, and the plan says what did not fit", () => {
    const notes: string[] = [];
    expect(restoreTags([{ Key: "team", Value: "a" }], ctx, "restore-role", 7, notes)).toEqual([
      { Key: "team", Value: "a" },
      { Key: "trailwatch:remediation-request", Value: "REQ-1" },
      { Key: "trailwatch:action", Value: "restore-role" },
      { Key: "trailwatch:restored-from", Value: "snapshot-7" },
    ]);
    expect(notes).toEqual([]);
    const many = Array.from({ length: 49 }, (_, i) => ({ Key: `k${i}`, Value: "v" }));
    const tags = restoreTags(many, ctx, "restore-role", 7, notes);
    expect(tags).toHaveLength(50);
    expect(tags.slice(0, 49)).toEqual(many);
    expect(notes).toEqual(["the resource had 49 tags, so only 1 of trailwatch's 3 tags fit (IAM allows 50)"]);
  });

  test("policy summaries say what is allowed, including NotAction, and survive bad JSON", () => {
    expect(policySummary(JSON.stringify({ Statement: { Effect: "Allow", Action: "*", Resource: "*" } }))).toBe("Allow * on *");
    expect(policySummary(JSON.stringify({ Statement: [{ Effect: "Deny", NotAction: ["iam:*"], Resource: "*" }] }))).toBe("Deny everything except iam:* on *");
    expect(policySummary("{not json")).toBe("a document that is not valid JSON");
    expect(policySummary(JSON.stringify({ Statement: [{ Effect: "Allow", Action: "s3:" + "x".repeat(300), Resource: "*" }] }))).toHaveLength(160);
  });

  test("trust policies naming the exact ARN are found, not look-alikes", () => {
    const arn = "arn:aws:iam::123456789012:role/app";
    const role = (name: string, principal: string) => ({ name, trustPolicy: JSON.stringify({ Statement: [{ Principal: { AWS: principal } }] }) });
    const snap = { roles: [role("a", arn), role("b", `${arn}-old`), role("app", arn)] } as unknown as IamSnapshot;
    expect(trustPoliciesNaming(snap, arn, "app")).toEqual(["a"]);
  });
});
