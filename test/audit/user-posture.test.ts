// userPosture against a real moto_server: lookup by name and ARN, not-found cases, and findings
// limited to the user.
import { afterAll, beforeAll, beforeEach, describe, expect, test } from "vitest";
import { UpdateAccessKeyCommand } from "@aws-sdk/client-iam";
import { DEFAULT_PASSWORD_POLICY } from "../../src/domain.js";
import { userPosture, UserPostureError, type AuditDeps, type UserPostureFound } from "../../src/audit/index.js";
import { MOTO_ACCOUNT_ID, startMoto, type Moto } from "../support/moto.js";
import { startAwsProxy, type AwsProxy } from "./support/aws-proxy.js";
import { createKey, createUser } from "./support/seed.js";

const DAY = 86_400_000;
let moto: Moto;
let proxy: AwsProxy;

beforeAll(async () => {
  moto = await startMoto();
  proxy = await startAwsProxy(moto.endpoint);
});
afterAll(async () => {
  await (proxy as AwsProxy | undefined)?.stop(); // unset when beforeAll failed
  await (moto as Moto | undefined)?.stop();
});
beforeEach(async () => {
  await moto.reset();
  proxy.clear();
});

function deps(extra: Partial<AuditDeps> = {}): AuditDeps {
  return { iam: moto.iam(), cloudtrail: moto.cloudtrail(), baseline: DEFAULT_PASSWORD_POLICY, ...extra };
}

function found(p: Awaited<ReturnType<typeof userPosture>>): UserPostureFound {
  if (!p.exists) throw new Error(`user not found: ${JSON.stringify(p)}`);
  return p;
}

async function seed(): Promise<{ aliceActive: string; aliceInactive: string; bobKey: string }> {
  const iam = moto.iam();
  await createUser(iam, "alice", { password: true }); // console password, no MFA
  const aliceActive = await createKey(iam, "alice", moto.endpoint, true);
  const aliceInactive = await createKey(iam, "alice", moto.endpoint);
  await iam.send(new UpdateAccessKeyCommand({ UserName: "alice", AccessKeyId: aliceInactive, Status: "Inactive" }));
  await createUser(iam, "bob", { path: "/eng/", password: true, mfa: true });
  const bobKey = await createKey(iam, "bob", moto.endpoint);
  return { aliceActive, aliceInactive, bobKey };
}

describe("userPosture", () => {
  test("by name: console password, MFA, keys with age and last use, and only that user's findings", async () => {
    const { aliceActive, aliceInactive } = await seed();
    const now = new Date(Date.now() + 200 * DAY);
    const p = found(await userPosture(deps({ now: () => now }), "alice"));
    expect(p).toMatchObject({
      exists: true,
      query: "alice",
      userName: "alice",
      arn: `arn:aws:iam::${MOTO_ACCOUNT_ID}:user/alice`,
      path: "/",
      consolePassword: { enabled: true },
      mfaDevices: [],
      errors: [],
    });
    expect(p.created).toBeInstanceOf(Date);
    expect(p.consolePassword.created).toBeInstanceOf(Date);
    expect(p.consolePassword.lastUsed).toBeUndefined();

    const active = p.accessKeys.find((k) => k.accessKeyId === aliceActive);
    expect(active).toMatchObject({ status: "Active", lastUsedService: "iam", lastUsedRegion: "us-east-1" });
    expect(active?.lastUsedDate).toBeInstanceOf(Date);
    expect(active?.ageDays === 199 || active?.ageDays === 200).toBe(true);
    const inactive = p.accessKeys.find((k) => k.accessKeyId === aliceInactive);
    expect(inactive).toMatchObject({ status: "Inactive" });
    expect(inactive?.lastUsedDate).toBeUndefined();

    expect(p.findings.map((f) => f.id)).toEqual(["user-no-mfa:alice", `access-key-unused:${aliceActive}`]);
    expect(p.findings[1]?.remediation).toEqual({
      id: "deactivate-access-key",
      params: { userName: "alice", accessKeyId: aliceActive },
    });
  });

  test("by ARN with a path: MFA devices are listed and findings stay with the user", async () => {
    const { bobKey } = await seed();
    const arn = `arn:aws:iam::${MOTO_ACCOUNT_ID}:user/eng/bob`;
    const p = found(await userPosture(deps(), arn));
    expect(p).toMatchObject({ query: arn, userName: "bob", arn, path: "/eng/", consolePassword: { enabled: true } });
    expect(p.mfaDevices).toEqual([{ serialNumber: `arn:aws:iam::${MOTO_ACCOUNT_ID}:mfa/bob-mfa`, enabled: expect.any(Date) }]);
    expect(p.accessKeys.map((k) => k.accessKeyId)).toEqual([bobKey]);
    expect(p.accessKeys[0]?.ageDays).toBe(0);
    expect(p.findings).toEqual([]); // fresh key (grace period), MFA on
  });

  test("not found: unknown name, ARN with the wrong path or account, and non-user ARNs", async () => {
    await seed();
    expect(await userPosture(deps(), "mallory")).toEqual({ exists: false, query: "mallory", reason: "not-found", userName: "mallory" });
    expect(await userPosture(deps(), `arn:aws:iam::${MOTO_ACCOUNT_ID}:user/bob`)).toMatchObject({
      exists: false,
      reason: "not-found",
      userName: "bob",
    });
    expect(await userPosture(deps(), "arn:aws:iam::999999999999:user/alice")).toMatchObject({ exists: false, reason: "not-found" });
    expect(await userPosture(deps(), `arn:aws:iam::${MOTO_ACCOUNT_ID}:role/alice`)).toEqual({
      exists: false,
      query: `arn:aws:iam::${MOTO_ACCOUNT_ID}:role/alice`,
      reason: "not-a-user-arn",
    });
    expect(await userPosture(deps(), "alice smith")).toMatchObject({ exists: false, reason: "invalid-name" });
  });

  test("AccessDenied on GetUser throws UserPostureError naming iam:GetUser; a denied sub-call is reported in errors", async () => {
    await seed();
    proxy.deny("GetUser");
    const proxied = deps({ iam: proxy.iam(), cloudtrail: proxy.cloudtrail() });
    const err = await userPosture(proxied, "alice").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UserPostureError);
    expect((err as UserPostureError).info).toMatchObject({ api: "GetUser", errorName: "AccessDenied", missingPermission: "iam:GetUser" });

    proxy.clear();
    proxy.deny("ListMFADevices");
    const p = found(await userPosture(proxied, "alice"));
    expect(p.errors).toEqual([
      expect.objectContaining({ check: "console-users-mfa", api: "ListMFADevices", missingPermission: "iam:ListMFADevices" }),
    ]);
    // Without the MFA list, "no MFA" is not claimed.
    expect(p.findings.map((f) => f.id)).not.toContain("user-no-mfa:alice");
  });
});
