// Snapshots of every watched account: each account through its own IAM client (moto accounts reached by
// AssumeRole), a few at a time, one account's failure never stopping the others, and each account's snapshots
// read only through its own scope.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { CreateRoleCommand, IAMClient } from "@aws-sdk/client-iam";
import { describe, expect, test } from "vitest";
import { createLogger } from "../../src/log.js";
import { SnapshotFleet, type SnapshotAccount } from "../../src/snapshot/fleet.js";
import { KyselyStore } from "../../src/store/kysely.js";
import { iamInAccount } from "../support/accounts.js";
import { MOTO_ACCOUNT_ID, TEST_CREDENTIALS, useMoto } from "../support/moto.js";

const moto = useMoto();
const MEMBER = "444455556666";
const DENIED = "777788889999";
const OWN: SnapshotAccount = { scope: "default", id: MOTO_ACCOUNT_ID, name: "own account", own: true };
const member = (id: string, name: string): SnapshotAccount => ({ scope: id, id, name, own: false });
const trust = (service: string) => JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: service }, Action: "sts:AssumeRole" }] });

/** An IAM client whose every call is refused as STS refuses an AssumeRole the trust policy does not allow. */
function deniedIam(account: string): IAMClient {
  return new IAMClient({
    region: "us-east-1",
    maxAttempts: 1,
    credentials: () => {
      const err = new Error(`User: arn:aws:iam::${MOTO_ACCOUNT_ID}:user/moto is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::${account}:role/trailwatch`);
      err.name = "AccessDenied";
      return Promise.reject(err);
    },
  });
}

async function fleetOf(accounts: SnapshotAccount[], clients: Record<string, IAMClient>, opts: { concurrency?: number; lines?: string[] } = {}) {
  const store = await KyselyStore.openSqlite(join(mkdtempSync(join(tmpdir(), "tw-fleet-")), "t.db"));
  const logger = opts.lines ? createLogger("info", { write: (l: string) => void opts.lines?.push(l) }) : createLogger("silent");
  const fleet = new SnapshotFleet({
    store,
    accounts: () => accounts,
    iamFor: (scope) => {
      const c = clients[scope];
      if (!c) throw new Error(`no client for ${scope}`);
      return c;
    },
    logger,
    now: () => new Date("2025-02-01T00:00:00Z"),
    retentionDays: 90,
    ...(opts.concurrency ? { concurrency: opts.concurrency } : {}),
  });
  return { store, fleet };
}

describe("SnapshotFleet", () => {
  test("a member whose role reads another account's IAM is refused, not stored under the member", async () => {
    const m = moto.get();
    // The role configured for MEMBER is really in DENIED's account (a wrong roleArn).
    const wrongIam = await iamInAccount(m, `arn:aws:iam::${DENIED}:role/trailwatch`);
    await wrongIam.send(new CreateRoleCommand({ RoleName: "elsewhere-role", AssumeRolePolicyDocument: trust("ec2.amazonaws.com") }));
    const { store, fleet } = await fleetOf([member(MEMBER, "payments")], { [MEMBER]: wrongIam });
    try {
      const [run] = await fleet.run("test");
      expect(run?.result).toMatchObject({ ok: false, error: `the role used for account ${MEMBER} reads the IAM of account ${DENIED}; snapshot not stored (check that account's roleArn)` });
      expect(await store.listSnapshots({ scope: MEMBER, limit: 10 })).toEqual([]);
    } finally {
      await store.close();
    }
  });

  test("each account is snapshotted through its own client; a scoped source refuses another account's snapshot", async () => {
    const m = moto.get();
    const ownIam = m.iam();
    const memberIam = await iamInAccount(m, `arn:aws:iam::${MEMBER}:role/trailwatch`);
    // The same role name in both accounts, with different trust policies.
    await ownIam.send(new CreateRoleCommand({ RoleName: "app-role", AssumeRolePolicyDocument: trust("ec2.amazonaws.com") }));
    await memberIam.send(new CreateRoleCommand({ RoleName: "app-role", AssumeRolePolicyDocument: trust("lambda.amazonaws.com") }));
    const { store, fleet } = await fleetOf([OWN, member(MEMBER, "payments")], { default: ownIam, [MEMBER]: memberIam });
    try {
      const results = await fleet.run("test");
      expect(results.map((r) => [r.account.scope, r.result.ok]).sort()).toEqual([
        ["444455556666", true],
        ["default", true],
      ]);
      const idOf = (scope: string) => {
        const r = results.find((x) => x.account.scope === scope)?.result;
        return r?.ok ? r.meta.id : -1;
      };
      const ownSource = fleet.source("default");
      const memberSource = fleet.source(MEMBER);
      const ownSnap = await ownSource.get(idOf("default"));
      const memberSnap = await memberSource.get(idOf(MEMBER));
      expect(ownSnap?.snapshot.roles.find((r) => r.name === "app-role")?.arn).toBe(`arn:aws:iam::${MOTO_ACCOUNT_ID}:role/app-role`);
      expect(memberSnap?.snapshot.roles.find((r) => r.name === "app-role")?.arn).toBe(`arn:aws:iam::${MEMBER}:role/app-role`);
      expect(memberSnap?.snapshot.roles.find((r) => r.name === "app-role")?.trustPolicy).toContain("lambda.amazonaws.com");
      // A plan bound to snapshot #N must never rebuild one account's role from another account's snapshot.
      expect(await ownSource.get(idOf(MEMBER))).toBeNull();
      expect(await memberSource.get(idOf("default"))).toBeNull();
      expect((await memberSource.latestAtOrBefore(new Date("2025-03-01T00:00:00Z")))?.meta.id).toBe(idOf(MEMBER));
      expect((await ownSource.latestAtOrBefore(new Date("2025-03-01T00:00:00Z")))?.meta.id).toBe(idOf("default"));
      // An account with no snapshot of its own gets none from the others.
      expect(await fleet.source("111122223333").latestAtOrBefore(new Date("2025-03-01T00:00:00Z"))).toBeNull();
      expect(await fleet.source("111122223333").oldest()).toBeNull();
    } finally {
      await store.close();
    }
  });

  test("one account denied: logged with the account, the others snapshotted, and /iam-audit accounts sees both", async () => {
    const m = moto.get();
    const lines: string[] = [];
    const memberIam = await iamInAccount(m, `arn:aws:iam::${MEMBER}:role/trailwatch`);
    const { store, fleet } = await fleetOf([OWN, member(DENIED, "sandbox"), member(MEMBER, "payments")], { default: m.iam(), [DENIED]: deniedIam(DENIED), [MEMBER]: memberIam }, { lines });
    try {
      const results = await fleet.run("test");
      const byScope = new Map(results.map((r) => [r.account.scope, r.result]));
      expect(byScope.get("default")?.ok).toBe(true);
      expect(byScope.get(MEMBER)?.ok).toBe(true);
      const denied = byScope.get(DENIED);
      expect(denied?.ok).toBe(false);
      expect(denied?.ok === false ? denied.error : "").toMatch(/^AccessDenied: /);
      expect((await store.latestSnapshots()).map((s) => s.scope).sort()).toEqual([MEMBER, "default"].sort());
      const logged = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
      const failure = logged.find((l) => typeof l.msg === "string" && l.msg.startsWith("IAM snapshot FAILED"));
      expect(failure?.account).toBe(DENIED);
      // The own account's lines are as they were with one account: no account field.
      const ownStored = logged.filter((l) => l.msg === "IAM snapshot stored");
      expect(ownStored.map((l) => l.account ?? "own").sort()).toEqual([MEMBER, "own"].sort());
      expect(logged.find((l) => l.msg === "IAM snapshots of the watched accounts finished; some failed (their restores use their previous snapshot)")).toMatchObject({ accounts: 3, failed: 1, failedAccounts: [DENIED] });

      const states = await fleet.states();
      expect(states.get(DENIED)).toMatchObject({ latest: null, failure: { error: expect.stringMatching(/^AccessDenied/) as unknown } });
      expect(states.get(MEMBER)).toMatchObject({ latest: { scope: MEMBER }, failure: null });
    } finally {
      await store.close();
    }
  });

  test("accounts are snapshotted a few at a time, and an account added later is snapshotted at the next run", async () => {
    const started = new Set<string>();
    const gates: (() => void)[] = [];
    // Clients that hold each call until released, then fail it (a failure is an account's result).
    const held = (scope: string): IAMClient => {
      const c = new IAMClient({ endpoint: "http://127.0.0.1:9", region: "us-east-1", maxAttempts: 1, credentials: TEST_CREDENTIALS });
      c.middlewareStack.add(
        () => async () => {
          started.add(scope);
          await new Promise<void>((r) => gates.push(r));
          throw Object.assign(new Error("Rate exceeded"), { name: "Throttling" });
        },
        { step: "initialize", name: "holdForTest" },
      );
      return c;
    };
    const all = ["111111111111", "222222222222", "333333333333", "444444444444"].map((id) => member(id, id));
    const watched = all.slice(0, 3);
    const clients = Object.fromEntries(all.map((a) => [a.scope, held(a.scope)]));
    const { store, fleet } = await fleetOf(watched, clients, { concurrency: 2 });
    const tick = () => new Promise((r) => setImmediate(r));
    /** Releases held calls until the run is over. */
    const drain = async <T>(p: Promise<T>): Promise<T> => {
      let done = false;
      void p.finally(() => (done = true));
      while (!done) {
        gates.shift()?.();
        await tick();
      }
      return p;
    };
    try {
      const run = fleet.run("test");
      while (started.size < 2) await tick();
      // Let any further (wrong) start happen before looking.
      for (let i = 0; i < 50; i++) await tick();
      expect(started.size).toBe(2);
      // A second caller while a run goes on joins it rather than starting another.
      expect(fleet.run("again")).toBe(run);
      const results = await drain(run);
      expect(results.map((r) => r.account.scope).sort()).toEqual(watched.map((a) => a.scope));
      expect(results.every((r) => !r.result.ok)).toBe(true);

      // Discovery adds an account: the next run includes it.
      watched.push(all[3] as SnapshotAccount);
      started.clear();
      const next = await drain(fleet.run("schedule"));
      expect(next.map((r) => r.account.scope).sort()).toEqual(all.map((a) => a.scope));
      expect(started.has("444444444444")).toBe(true);
    } finally {
      await store.close();
    }
  });
});
