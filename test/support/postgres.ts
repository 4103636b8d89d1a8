// A throw-away PostgreSQL cluster for tests: initdb into a temp dir, start on a free loopback port with its
// socket in the same temp dir, create a database, and remove everything on stop. The server binaries come from
// the Debian package (postgresql-15, installed by .ci/run when missing). initdb refuses to run as root, so a
// root test process runs the server as the `postgres` user.
import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { chownSync, existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import pg from "pg";
import { freePort } from "./ports.js";

export const PG_BIN = process.env.PG_BIN ?? "/usr/lib/postgresql/15/bin";

/** Why PostgreSQL tests cannot run here, or null when they can. */
export function postgresUnavailable(): string | null {
  return existsSync(join(PG_BIN, "postgres")) && existsSync(join(PG_BIN, "initdb"))
    ? null
    : `PostgreSQL server binaries not found in ${PG_BIN} (install postgresql-15, as .ci/run does, or set PG_BIN)`;
}

export interface PgCluster {
  /** postgres://… URL of a fresh database in the cluster. */
  url: string;
  port: number;
  /** Creates another empty database and returns its URL. */
  createDatabase(name: string): Promise<string>;
  stop(): Promise<void>;
}

function asServerUser(cmd: string, args: string[]): [string, string[]] {
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  return root ? ["runuser", ["-u", "postgres", "--", cmd, ...args]] : [cmd, args];
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
      await new Promise((r) => setTimeout(r, 200));
    }
  }
  throw new Error(`postgres did not accept connections within ${deadlineMs} ms: ${String(last)}`);
}

export async function startPostgres(opts: { database?: string } = {}): Promise<PgCluster> {
  const why = postgresUnavailable();
  if (why) throw new Error(why);
  const dir = mkdtempSync(join(tmpdir(), "tw-pg-"));
  const root = typeof process.getuid === "function" && process.getuid() === 0;
  if (root) {
    const uid = Number(execFileSync("id", ["-u", "postgres"]).toString().trim());
    const gid = Number(execFileSync("id", ["-g", "postgres"]).toString().trim());
    chownSync(dir, uid, gid);
  }
  const data = join(dir, "data");
  const [initCmd, initArgs] = asServerUser(join(PG_BIN, "initdb"), ["-D", data, "-U", "postgres", "--auth=trust", "--no-sync", "-E", "UTF8", "--locale=C"]);
  execFileSync(initCmd, initArgs, { stdio: "pipe" });
  const port = await freePort();
  // fsync off: a test cluster needs no durability, and the machine is small.
  const [cmd, args] = asServerUser(join(PG_BIN, "postgres"), [
    "-D", data, "-p", String(port), "-h", "127.0.0.1", "-k", dir,
    "-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off", "-c", "max_connections=100",
  ]);
  const proc = spawn(cmd, args, { stdio: ["ignore", "ignore", "pipe"] });
  let stderr = "";
  proc.stderr?.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4000);
  });
  const base = `postgres://postgres@127.0.0.1:${port}`;
  try {
    await waitReady(`${base}/postgres`, proc, 30_000);
  } catch (err) {
    proc.kill("SIGKILL");
    rmSync(dir, { recursive: true, force: true });
    throw new Error(`${(err as Error).message}\n${stderr}`);
  }
  const createDatabase = async (name: string): Promise<string> => {
    const c = new pg.Client({ connectionString: `${base}/postgres` });
    await c.connect();
    try {
      await c.query(`CREATE DATABASE "${name.replace(/"/g, "")}"`);
    } finally {
      await c.end();
    }
    return `${base}/${name}`;
  };
  const url = await createDatabase(opts.database ?? "trailwatch");
  return {
    url,
    port,
    createDatabase,
    async stop() {
      if (proc.exitCode === null) {
        // SIGINT: fast shutdown (disconnects clients, no checkpoint wait beyond what is needed).
        const exited = new Promise<void>((r) => proc.once("exit", () => { r(); }));
        proc.kill("SIGINT");
        const timer = setTimeout(() => proc.kill("SIGKILL"), 10_000);
        await exited;
        clearTimeout(timer);
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
