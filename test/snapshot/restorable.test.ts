// The alert's restore line, from stored snapshots only (no AWS call).
import { describe, expect, test } from "vitest";
import { CreateRoleCommand, DeleteRoleCommand } from "@aws-sdk/client-iam";
import { restorability } from "../../src/snapshot/restorable.js";
import { buildAlertMessage } from "../../src/slack/blocks/alert.js";
import { getCatalogEntry } from "../../src/catalog/index.js";
import { iamEvent, useMoto } from "../remediation/helpers.js";
import { APP_ROLE, APP_USER, seedAcceptanceIam, TRUST } from "../support/iam-seed.js";
import { snapshotsFor } from "./helpers.js";

const moto = useMoto();
const at = (iso: string) => ({ eventTime: new Date(iso) });

describe("restorability", () => {
  test("says restorable from which snapshot, or exactly why not", async () => {
    const iam = moto.get().iam();
    await seedAcceptanceIam(iam);
    const snaps = await snapshotsFor(iam);
    await snaps.takeAt("2025-02-28T09:00:00Z");
    snaps.clock.now = new Date("2025-02-28T10:00:00Z");
    await snaps.service.run("confirm"); // unchanged: the same snapshot, confirmed at 10:00
    await iam.send(new CreateRoleCommand({ RoleName: "fresh-role", AssumeRolePolicyDocument: TRUST }));
    await iam.send(new DeleteRoleCommand({ RoleName: "fresh-role" }));
    const s = snaps.service;

    expect(await restorability(iamEvent("DeleteRole", { roleName: APP_ROLE }, undefined, at("2025-02-28T10:15:00Z")), s)).toEqual({
      restorable: true,
      text: "restorable from the snapshot of 2025-02-28 10:00 UTC",
      snapshotId: expect.any(Number),
    });
    expect((await restorability(iamEvent("DeleteRole", { roleName: "fresh-role" }, undefined, at("2025-02-28T10:15:00Z")), s)).text).toBe(
      "not restorable from a snapshot: the snapshot of 2025-02-28 10:00 UTC does not hold role fresh-role (it is newer than that snapshot)",
    );
    expect((await restorability(iamEvent("DeleteUserPolicy", { userName: APP_USER, policyName: "nope" }, undefined, at("2025-02-28T10:15:00Z")), s)).text).toBe(
      "not restorable from a snapshot: the snapshot of 2025-02-28 10:00 UTC does not hold inline policy nope of user app-user (it is newer than that snapshot); the restore will look for its last Put policy call in CloudTrail",
    );
    expect((await restorability(iamEvent("DeleteRole", { roleName: APP_ROLE }, undefined, at("2025-02-28T08:00:00Z")), s)).text).toBe(
      "not restorable from a snapshot: the oldest snapshot (2025-02-28 09:00 UTC) was taken after the deletion",
    );
    expect((await restorability(iamEvent("DeleteRole", { roleName: APP_ROLE }, undefined, { ...at("2025-02-28T10:15:00Z"), errorCode: "AccessDenied" }), s)).text).toBe(
      "nothing to restore: the call failed (AccessDenied)",
    );
    expect((await restorability(iamEvent("DeleteAccessKey", { userName: APP_USER, accessKeyId: "AKIA1" }), s)).text).toBe(
      "not restorable: trailwatch has no restore for DeleteAccessKey",
    );
    expect((await restorability(iamEvent("DeleteRole", { roleName: APP_ROLE }), undefined)).text).toBe("not restorable: IAM snapshots are not available");
  });

  test("the alert shows the line, escaped", () => {
    const event = iamEvent("DeleteRole", { roleName: "<!channel>" });
    const msg = buildAlertMessage(
      { event, severity: "high", severityReason: "r", outcome: "success", restorable: "not restorable from a snapshot: the snapshot of 2025-02-28 10:00 UTC does not hold role <!channel>" },
      getCatalogEntry("DeleteRole"),
      {},
    );
    const text = JSON.stringify(msg.blocks);
    expect(text).toContain("*Restore:* not restorable from a snapshot: the snapshot of 2025-02-28 10:00 UTC does not hold role &lt;!channel&gt;");
  });
});
