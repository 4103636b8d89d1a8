// Snapshot benchmark: an account of 1,000 roles and 1,000 users in moto (each with tags and an inline
// policy; roles also with a managed policy; one role in ten with an instance profile). Reports the
// seeding time on its own (moto is slow to fill), then AWS calls, time and stored bytes of a first
// snapshot and of an unchanged second one (stored once, only confirmed).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  AddRoleToInstanceProfileCommand,
  AttachRolePolicyCommand,
  CreateInstanceProfileCommand,
  CreatePolicyCommand,
  CreateRoleCommand,
  CreateUserCommand,
  PutRolePolicyCommand,
  PutUserPolicyCommand,
  IAMClient,
} from "@aws-sdk/client-iam";
import { createLogger } from "../src/log.js";
import { SnapshotService } from "../src/snapshot/service.js";
import { KyselyStore } from "../src/store/kysely.js";
import { startMoto, TEST_CREDENTIALS } from "../test/support/moto.js";

const TRUST = JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Principal: { Service: "ec2.amazonaws.com" }, Action: "sts:AssumeRole" }] });
const doc = (i: number) => JSON.stringify({ Version: "2012-10-17", Statement: [{ Effect: "Allow", Action: ["s3:GetObject", "s3:PutObject"], Resource: `arn:aws:s3:::bucket-${i}/*` }] });

async function eachLimited(n: number, limit: number, fn: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < n) await fn(next++);
    }),
  );
}

async function seed(iam: IAMClient, roles: number, users: number): Promise<number> {
  let calls = 1;
  const policy = await iam.send(new CreatePolicyCommand({ PolicyName: "bench-read", PolicyDocument: doc(0) }));
  const arn = policy.Policy?.Arn ?? "";
  await eachLimited(roles, 8, async (i) => {
    const name = `bench-role-${i}`;
    await iam.send(new CreateRoleCommand({ RoleName: name, Path: "/bench/", AssumeRolePolicyDocument: TRUST, Description: `bench role ${i}`, Tags: [{ Key: "team", Value: `t${i % 20}` }] }));
    await iam.send(new PutRolePolicyCommand({ RoleName: name, PolicyName: "inline", PolicyDocument: doc(i) }));
    await iam.send(new AttachRolePolicyCommand({ RoleName: name, PolicyArn: arn }));
    calls += 3;
    if (i % 10 === 0) {
      await iam.send(new CreateInstanceProfileCommand({ InstanceProfileName: `bench-profile-${i}`, Tags: [{ Key: "team", Value: `t${i % 20}` }] }));
      await iam.send(new AddRoleToInstanceProfileCommand({ InstanceProfileName: `bench-profile-${i}`, RoleName: name }));
      calls += 2;
    }
  });
  await eachLimited(users, 8, async (i) => {
    const name = `bench-user-${i}`;
    await iam.send(new CreateUserCommand({ UserName: name, Tags: [{ Key: "team", Value: `t${i % 20}` }] }));
    await iam.send(new PutUserPolicyCommand({ UserName: name, PolicyName: "inline", PolicyDocument: doc(i) }));
    calls += 2;
  });
  return calls;
}

export async function snapshotBench(roles = 1000, users = 1000): Promise<void> {
  let moto: Awaited<ReturnType<typeof startMoto>>;
  try {
    moto = await startMoto();
  } catch (err) {
    console.log(`\nIAM snapshot benchmark skipped: moto_server could not start (${err instanceof Error ? err.message.slice(0, 200) : String(err)})`);
    return;
  }
  try {
    // moto answers 500 now and then under concurrent writes; the SDK's retries absorb it, as they would
    // AWS throttling (the app's own IAM client retries too).
    const iam = new IAMClient({ endpoint: moto.endpoint, region: "us-east-1", credentials: TEST_CREDENTIALS, maxAttempts: 6 });
    const t0 = performance.now();
    const seedCalls = await seed(iam, roles, users);
    const seedS = (performance.now() - t0) / 1000;
    console.log(`\nIAM snapshot (moto): ${roles.toLocaleString("en")} roles, ${users.toLocaleString("en")} users`);
    console.log(`seeding moto (not part of the snapshot): ${seedCalls.toLocaleString("en")} calls in ${seedS.toFixed(1)} s (8 concurrent)`);
    const store = await KyselyStore.openSqlite(join(mkdtempSync(join(tmpdir(), "tw-bench-snap-")), "s.db"));
    const service = new SnapshotService({ store, scope: "default", iam, logger: createLogger("silent"), now: () => new Date(), retentionDays: 90 });
    for (const label of ["first snapshot", "unchanged snapshot"]) {
      const r = await service.run("bench");
      if (!r.ok) {
        console.log(`${label}: FAILED ${r.error}`);
        continue;
      }
      console.log(
        `${label}: ${r.calls.toLocaleString("en")} AWS calls, ${(r.ms / 1000).toFixed(1)} s, ${(r.rawBytes / 1024).toFixed(0)} KiB of IAM JSON, ` +
          (r.stored ? `${(r.meta.storedBytes / 1024).toFixed(0)} KiB stored (gzip)` : "0 bytes stored (same hash: confirmed only)"),
      );
    }
    await store.close();
  } finally {
    await moto.stop();
  }
}
