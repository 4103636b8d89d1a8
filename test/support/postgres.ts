// Throw-away PostgreSQL for tests. The global setup (test/support/global-setup.ts) starts one cluster per run and
// every PostgreSQL test file gets databases of its own in it (startPostgres), in watch mode too; a file run without
// the global setup (a script importing it) starts a private cluster. A cluster is initdb into a temp dir, started on a free loopback
// port with its socket in the same temp dir, and removed on stop. The server binaries come from the Debian package
// (postgresql-15, installed by .ci/run when missing). initdb refuses to run as root, so a root test process runs
// the server as the `postgres` user (the child itself, so that stopping it signals the server, not a wrapper).
import { execFile, execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import pg from "pg";
import { freePort } from "./ports.js";

export const PG_BIN = process.env.PG_BIN ?? "/usr/lib/postgresql/15/bin";
/** Set by the global setup to the run's cluster, `postgres://postgres@127.0.0.1:<port>` (no database). */
export const PG_ENV = "TRAILWATCH_TEST_PG";

/** Why PostgreSQL tests cannot run here, or null when they can. */
export function postgresUnavailable(): string | null {
  return existsSync(join(PG_BIN, "postgres")) && existsSync(join(PG_BIN, "initdb"))
    ? null
    : `PostgreSQL server binaries not found in ${PG_BIN} (install postgresql-15, as .ci/run does, or set PG_BIN)`;
}

export interface PgCluster {
  /** postgres://… URL of a fresh database of this file's own. */
  url: string;
  port: number;
  /** Creates another empty database of this file's own and returns its URL (the name gets a unique prefix). */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

/** A running cluster: its base URL (no database), port, and how to stop and remove it. */
export interface Cluster {
  base: string;
  port: number;
  stop(): Promise<void>;
  /** Synchronous last resort for an exiting process: SIGKILL the server, remove its directory. */
  kill(): void;
}

/** The uid/gid a root process runs the server as; {} when not root. */
function serverUser(): { uid?: number; gid?: number } {
  if (typeof process.getuid !== "function" || process.getuid() !== 0) return {};
  return {
    uid: Number(execFileSync("id", ["-u", "postgres"]).toString().trim()),
    gid: Number(execFileSync("id", ["-g", "postgres"]).toString().trim()),
  };
}

async function waitReady(url: string, proc: ChildProcess, deadlineMs: number): Promise<void> {
  const until = Date.now() + deadlineMs;
  let last: unknown;
  while (Date.now() < until) {
    if (proc.exitCode !== null) throw new Error(`postgres exited with code ${proc.exitCode} during start-up`);
    const c = new pg.Client({ connectionString: url });
    try {
      await c.connect();
      await c.end();
      return;
    } catch (err) {
      last = err;
      await c.end().catch(() => undefined);
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`postgres did not accept connections within ${deadlineMs} ms: ${String(last)}`);
}

/** initdb and start a new cluster; `maxConnections` for a cluster shared by parallel test files. */
export async function startCluster(opts: { maxConnections?: number } = {}): Promise<Cluster> {
  const why = postgresUnavailable();
  if (why) throw new Error(why);
  const dir = mkdtempSync(join(tmpdir(), "tw-pg-"));
  const user = serverUser();
  if (user.uid !== undefined && user.gid !== undefined) chownSync(dir, user.uid, user.gid);
  const data = join(dir, "data");
  const port = await freePort();
  try {
    await promisify(execFile)(join(PG_BIN, "initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C"], { ...user, cwd: dir });
  } catch (err) {
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  // fsync off: a test cluster needs no durability, and the machine is small.
  const proc = spawn(
    join(PG_BIN, "postgres"),
    [
      "-D", data, "-p", String(port), "-h", "127.0.0.1", "-k", dir,
      "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", `max_connections=${opts.maxConnections ?? 100}`,
    ],
    { ...user, cwd: dir, stdio: ["ignore", "ignore", "pipe"] },
  );
  let stderr = "";
  proc.stderr?.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const base = `postgres://postgres@127.0.0.1:${port}`;
  const kill = () => {
    if (proc.exitCode === null && proc.signalCode === null) proc.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
  };
  try {
    await waitReady(`${base}/postgres`, proc, 30_000);
  } catch (err) {
    kill();
    throw new Error(`${(err as Error).message}\n${stderr}`);
  }
  return {
    base,
    port,
    kill,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        // SIGQUIT: immediate shutdown. Nothing here needs to survive, so no checkpoint is waited for.
        const exited = new Promise<void>((r) => proc.once("exit", () => { r(); }));
        proc.kill("SIGQUIT");
        const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

async function createDatabaseIn(base: string, name: string): Promise<string> {
  const c = new pg.Client({ connectionString: `${base}/postgres` });
  await c.connect();
  try {
    await c.query(`CREATE DATABASE "${name.replace(/"/g, "")}"`);
  } finally {
    await c.end();
  }
  return `${base}/${name}`;
}

let files = 0;

/**
 * Databases of this file's own: in the run's cluster when the global setup started one (their names get a prefix
 * unique in the run, and stop() leaves them to the cluster's removal at the end of the run), else in a private
 * cluster that stop() removes.
 */
export async function startPostgres(opts: { database?: string } = {}): Promise<PgCluster> {
  const shared = process.env[PG_ENV];
  const cluster = shared ? undefined : await startCluster();
  const base = shared ?? (cluster as Cluster).base;
  const prefix = shared ? `w${process.env.VITEST_POOL_ID ?? "0"}_${process.pid}_${++files}_` : "";
  const createDatabase = (name: string) => createDatabaseIn(base, `${prefix}${name}`);
  return {
    url: await createDatabase(opts.database ?? "trailwatch"),
    port: Number(new URL(base).port),
    createDatabase,
    stop: async () => {
      await cluster?.stop();
    },
  };
}

/** The database name in a postgres:// URL. */
export const databaseOf = (url: string): string => new URL(url).pathname.slice(1);
