// A real moto_server (AWS emulator for IAM, STS and CloudTrail trails) on a loopback port, and AWS SDK clients
// pointed at it. One server per test worker process: a worker runs one file at a time, and each file gets the
// server reset (moto's own /moto-api/reset: every account, every service), so no state crosses files. Starting
// Python and moto costs about a second of CPU, which 39 files paid each; now each worker pays it once. The
// server exits with its worker: on a normal exit the worker kills it, and if the worker is killed outright the
// server notices its parent is gone (moto-site/sitecustomize.py) and exits by itself.
import { spawn, type ChildProcess } from "node:child_process";
import { delimiter, join } from "node:path";
import { afterAll, beforeAll, beforeEach } from "vitest";
import { IAMClient } from "@aws-sdk/client-iam";
import { CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import { STSClient } from "@aws-sdk/client-sts";
import { freePort } from "./ports.js";

export const MOTO_ACCOUNT_ID = "123456789012";

export const TEST_CREDENTIALS = { accessKeyId: "AKIATESTTESTTESTTEST", secretAccessKey: "test-secret" };

export interface Moto {
  endpoint: string;
  port: number;
  iam(): IAMClient;
  cloudtrail(): CloudTrailClient;
  sts(): STSClient;
  reset(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * The AWS managed policies moto knows: the ones the code and tests use, and a few more an audit meets (loading
 * all ~1,300 after every reset cost ~0.8 s of CPU per test; see moto-site/sitecustomize.py).
 */
export const MOTO_MANAGED_POLICIES = [
  "AdministratorAccess",
  "ReadOnlyAccess",
  "AWSCompromisedKeyQuarantine",
  "AWSCompromisedKeyQuarantineV2",
  "AWSCompromisedKeyQuarantineV3",
  "AWSDenyAll",
  "IAMFullAccess",
  "PowerUserAccess",
  "SecurityAudit",
];

let pooled: Promise<Moto> | undefined;

/**
 * moto for a test file: the worker's server, reset, or a new one when the worker has none (or it died).
 * `stop()` leaves it running for the next file, which gets it reset here.
 */
export async function startMoto(): Promise<Moto> {
  let server: Moto;
  try {
    pooled ??= launchMoto();
    server = await pooled;
    await server.reset();
  } catch {
    // A server that failed to start, died or cannot reset is stopped and replaced once; a second failure is the
    // test's error.
    await pooled?.then((s) => s.stop(), () => undefined);
    pooled = launchMoto();
    server = await pooled.catch((e: unknown) => {
      pooled = undefined;
      throw e;
    });
  }
  return { ...server, stop: () => Promise.resolve() };
}

async function launchMoto(): Promise<Moto> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const child: ChildProcess = spawn("moto_server", ["-H", "127.0.0.1", "-p", String(port)], {
    env: {
      ...process.env,
      MOTO_IAM_LOAD_MANAGED_POLICIES: "true",
      TRAILWATCH_MOTO_MANAGED_POLICIES: MOTO_MANAGED_POLICIES.join(","),
      TRAILWATCH_MOTO_PARENT_PID: String(process.pid),
      PYTHONPATH: [join(import.meta.dirname, "moto-site"), process.env.PYTHONPATH].filter(Boolean).join(delimiter),
    },
    stdio: ["ignore", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const deadline = Date.now() + 30_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`moto_server exited: ${stderr}`);
    try {
      const res = await fetch(`${endpoint}/moto-api/`);
      if (res.status < 500) break;
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) {
      child.kill("SIGKILL");
      throw new Error(`moto_server did not start: ${stderr}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.unref();
  (child.stderr as NodeJS.ReadableStream & { unref?: () => void } | null)?.unref?.();
  process.once("exit", () => child.kill("SIGKILL"));
  const common = { endpoint, region: "us-east-1", credentials: TEST_CREDENTIALS, maxAttempts: 1 };
  return {
    endpoint,
    port,
    iam: () => new IAMClient(common),
    cloudtrail: () => new CloudTrailClient(common),
    sts: () => new STSClient(common),
    async reset() {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`moto_server exited: ${stderr}`);
      const res = await fetch(`${endpoint}/moto-api/reset`, { method: "POST" });
      if (!res.ok) throw new Error(`moto reset: HTTP ${res.status}`);
    },
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once("exit", r));
      child.kill("SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 3000))]);
      if (child.exitCode === null) child.kill("SIGKILL");
    },
  };
}

/** moto for the test file (the worker's server, reset) and reset before each test. */
export function useMoto(): { get(): Moto } {
  let moto: Moto | undefined;
  beforeAll(async () => {
    moto = await startMoto();
  });
  afterAll(async () => {
    await moto?.stop();
  });
  beforeEach(async () => {
    await moto?.reset();
  });
  return {
    get() {
      if (!moto) throw new Error("moto not started");
      return moto;
    },
  };
}

/** Creates an S3 bucket in moto (CloudTrail trails need one); moto reads the account from the credential. */
export async function createBucket(endpoint: string, bucket: string): Promise<void> {
  const res = await fetch(`${endpoint}/${bucket}`, {
    method: "PUT",
    headers: { Authorization: `AWS4-HMAC-SHA256 Credential=${TEST_CREDENTIALS.accessKeyId}/20250101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=00` },
  });
  if (!res.ok) throw new Error(`CreateBucket ${bucket}: HTTP ${res.status}`);
}
