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
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import type { IamSnapshot } from "../../src/snapshot/model.js";
import { renderGroupMessage } from "../../src/slack/group-message.js";
import { KyselyStore } from "../../src/store/kysely.js";
import type { AlertGroupRecord, AlertRecord } from "../../src/store/types.js";
import { iamEvent } from "../remediation/helpers.js";
import { groupSnapshot } from "../support/stored.js";
import { visibleTexts } from "../support/slack-helpers.js";

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

describe("a chain's message judges its Restore from its own account's snapshots", () => {
  const T0 = new Date("2026-03-01T10:00:00.000Z");
  /** A snapshot holding just these roles (of `account`). */
  const holding = (account: string, roles: string[]): IamSnapshot => ({
    formatVersion: 1,
    roles: roles.map((name) => ({ name, id: `AROA${name.toUpperCase()}`, arn: `arn:aws:iam::${account}:role/${name}`, path: "/", trustPolicy: "{}", tags: [], inlinePolicies: [], managedPolicyArns: [], instanceProfileNames: [] })),
    users: [],
    groups: [],
    policies: [],
    instanceProfiles: [],
    accountAlias: null,
    passwordPolicy: null,
    oidcProviders: [],
    samlProviders: [],
    gaps: [],
  });
  const save = async (store: KyselyStore, scope: string, snap: IamSnapshot) => {
    const json = JSON.stringify(snap);
    await store.saveSnapshot({ scope, at: new Date(T0.getTime() - 3_600_000), hash: `h-${scope}`, data: gzipSync(json), rawBytes: json.length });
  };
  let seq = 0;
  /** A stored alert for a DeleteRole in `account`, and the chain group it is the root deletion of. */
  const chainIn = async (store: KyselyStore, account: string, roleName: string): Promise<{ group: AlertGroupRecord; members: AlertRecord[] }> => {
    const eventId = `ev-${String(++seq)}`;
    const event = { ...iamEvent("DeleteRole", { roleName }, undefined, { eventTime: T0 }), eventId, accountId: account };
    await store.insertAlert({ eventId, eventName: "DeleteRole", severity: "high", severityReason: "x", outcome: "success", event, eventTime: T0, muted: false, accountId: account }, T0);
    const members = [(await store.getAlert(eventId)) as AlertRecord];
    const snapshot = groupSnapshot({ id: `g-${eventId}`, firstAt: T0, lastAt: T0, accountId: account, root: { type: "role", name: roleName }, keys: [`role:${roleName}`], memberIds: [eventId], rootFromDeletion: true });
    return { group: { id: snapshot.id, snapshot, postAttempts: 0, nextAttemptAt: T0, unshownMembers: 0, changedAt: T0 }, members };
  };

  test("a member account's chain is restorable from its snapshot; the own account's role of that name does not count", async () => {
    const store = await KyselyStore.openSqlite(join(mkdtempSync(join(tmpdir(), "tw-group-restore-")), "t.db"));
    try {
      await save(store, "default", holding(OWN, ["app-role", "own-only"]));
      await save(store, MEMBER, holding(MEMBER, ["app-role"]));
      const watched = [{ scope: "default", id: OWN, name: "own", own: true }, { scope: MEMBER, id: MEMBER, name: "payments", own: false }];
      const snapshots = new SnapshotFleet({ store, accounts: () => watched, iamFor: () => { throw new Error("no snapshot runs here"); }, logger: createLogger("silent"), now: () => T0, retentionDays: 90 });
      const restoreLine = async (account: string, roleName: string) => {
        const { group, members } = await chainIn(store, account, roleName);
        const msg = await renderGroupMessage(store, group, members, { snapshots, logger: createLogger("silent"), ownAccountId: OWN });
        return visibleTexts(msg.blocks).find((t) => t.startsWith("*Restore:*"));
      };
      expect(await restoreLine(MEMBER, "app-role")).toMatch(/^\*Restore:\* restorable from the snapshot of 2026-03-01 09:00 UTC$/);
      expect(await restoreLine(MEMBER, "own-only")).toBe("*Restore:* not restorable from a snapshot: the snapshot of 2026-03-01 09:00 UTC does not hold role own-only (it is newer than that snapshot)");
      expect(await restoreLine(OWN, "own-only")).toMatch(/^\*Restore:\* restorable from the snapshot of/);
      expect(await restoreLine(STRANGER, "app-role")).toBe(`*Restore:* not restorable: account ${STRANGER} is not among the accounts trailwatch watches, so it has no IAM snapshots of it`);
    } finally {
      await store.close();
    }
  });
});
