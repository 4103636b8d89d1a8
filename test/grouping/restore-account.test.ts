// Restores read the snapshots of the event's account: a watched member account is restorable from its own
// snapshots, with its own clients; an account that is not watched, or one that cannot be told apart from the
// bot's own (its id unknown), gets no restore and the reason says so.
import { describe, expect, test } from "vitest";
import { remediationDeps, restoreUnavailable } from "../../src/services/remediation-deps.js";
import type { ServiceDeps } from "../../src/services/deps.js";
import type { BotIdentity } from "../../src/domain.js";
import { SnapshotFleet } from "../../src/snapshot/fleet.js";
import { createLogger } from "../../src/log.js";
import type { Store } from "../../src/store/types.js";
import type { SnapshotService } from "../../src/snapshot/service.js";

const OWN = "123456789012";
const MEMBER = "210987654321";
const STRANGER = "999988887777";
const identity: BotIdentity = { arn: `arn:aws:sts::${OWN}:assumed-role/trailwatch-bot/s`, accountId: OWN };
const ownIam = { own: true };
const memberIam = { member: true };

function deps(opts: { registry?: boolean; sts?: boolean }): ServiceDeps {
  const ownId = opts.sts === false ? null : OWN;
  const watched = opts.registry ? [{ scope: "default", id: ownId, name: "own", own: true }, { scope: MEMBER, id: MEMBER, name: "payments", own: false }] : [{ scope: "default", id: null, name: "own", own: true }];
  const snapshots = new SnapshotFleet({ store: {} as Store, accounts: () => watched, iamFor: () => { throw new Error("no snapshot runs here"); }, logger: createLogger("silent"), now: () => new Date(), retentionDays: 90 });
  return {
    config: { passwordPolicy: {} },
    iam: ownIam,
    now: () => new Date(),
    botIdentity: async () => (opts.sts === false ? null : identity),
    snapshots,
    ...(opts.registry
      ? {
          accounts: {
            ownAccountId: () => ownId,
            get: (scope: string) => watched.find((a) => a.scope === scope),
            clientsFor: (id: string) => {
              if (id !== MEMBER) throw new Error(`account ${id} is not watched`);
              return { iam: memberIam, identity: async () => ({ arn: `arn:aws:sts::${MEMBER}:assumed-role/trailwatch/trailwatch`, accountId: MEMBER }) };
            },
          },
        }
      : {}),
  } as unknown as ServiceDeps;
}

const scopeOf = (d: Awaited<ReturnType<typeof remediationDeps>>) => (d.snapshots as SnapshotService | undefined)?.scope;

describe("restoreUnavailable", () => {
  test("the own account, with or without the accounts registry, may restore", async () => {
    expect(await restoreUnavailable(deps({}), OWN)).toBeNull();
    expect(await restoreUnavailable(deps({ registry: true }), OWN)).toBeNull();
  });

  test("a watched member account may restore, from its own snapshots through its own clients", async () => {
    const d = deps({ registry: true });
    expect(await restoreUnavailable(d, MEMBER)).toBeNull();
    const member = await remediationDeps(d, MEMBER);
    expect(member.iam).toBe(memberIam);
    expect(scopeOf(member)).toBe(MEMBER);
    const own = await remediationDeps(d, OWN);
    expect(own.iam).toBe(ownIam);
    expect(scopeOf(own)).toBe("default");
    // Alerts from before many-account support carry no account: the own account's.
    expect(scopeOf(await remediationDeps(d))).toBe("default");
  });

  test("an account that is not watched gets no restore and no snapshots, and the reason names it", async () => {
    for (const d of [deps({}), deps({ registry: true })]) {
      expect(await restoreUnavailable(d, STRANGER)).toBe(
        `Not restorable: account ${STRANGER} is not among the accounts trailwatch watches, so it has no IAM snapshots of it. Restore it by hand in that account, or contain the actor.`,
      );
    }
    // Without the registry (one account) the clients are the own account's, so no snapshot may serve it either.
    expect((await remediationDeps(deps({}), STRANGER)).snapshots).toBeUndefined();
  });

  test("an unknown own account fails closed for any id that is not a watched member account", async () => {
    expect(await restoreUnavailable(deps({ sts: false }), OWN)).toMatch(/^Not restorable: the bot cannot tell which account is its own/);
    expect(await restoreUnavailable(deps({ registry: true, sts: false }), OWN)).toMatch(/^Not restorable: the bot cannot tell which account is its own/);
    // A member account is its own scope whatever the own id: its snapshots and clients are both that account's.
    expect(await restoreUnavailable(deps({ registry: true, sts: false }), MEMBER)).toBeNull();
    expect(scopeOf(await remediationDeps(deps({ registry: true, sts: false }), MEMBER))).toBe(MEMBER);
  });
});
