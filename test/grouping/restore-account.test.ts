// Snapshots describe the bot's own account only: an alert from another watched account gets no restore, and
// the reason says so; the own account (with or without the many-accounts registry) keeps its restores.
import { describe, expect, test } from "vitest";
import { restoreUnavailable } from "../../src/services/remediation-deps.js";
import type { ServiceDeps } from "../../src/services/deps.js";
import type { BotIdentity } from "../../src/domain.js";

const OWN = "123456789012";
const MEMBER = "210987654321";
const identity: BotIdentity = { arn: `arn:aws:sts::${OWN}:assumed-role/trailwatch-bot/s`, accountId: OWN };

function deps(opts: { registry?: boolean; sts?: boolean }): ServiceDeps {
  return {
    botIdentity: async () => (opts.sts === false ? null : identity),
    ...(opts.registry ? { accounts: { ownAccountId: () => (opts.sts === false ? null : OWN) } } : {}),
  } as unknown as ServiceDeps;
}

describe("restoreUnavailable", () => {
  test("the own account, with or without the accounts registry, may restore", async () => {
    expect(await restoreUnavailable(deps({}), OWN)).toBeNull();
    expect(await restoreUnavailable(deps({ registry: true }), OWN)).toBeNull();
  });

  test("another account gets no restore, and the reason names both accounts", async () => {
    for (const d of [deps({}), deps({ registry: true })]) {
      expect(await restoreUnavailable(d, MEMBER)).toBe(
        `trailwatch takes IAM snapshots of its own account (${OWN}) only; this event happened in account ${MEMBER}, so there is no snapshot to restore from. Restore it by hand in that account, or contain the actor.`,
      );
    }
  });

  test("an unknown own account fails closed", async () => {
    expect(await restoreUnavailable(deps({ sts: false }), OWN)).toMatch(/^the bot cannot tell which account is its own/);
  });
});
