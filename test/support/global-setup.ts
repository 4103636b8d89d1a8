// Once per run: fails fast with a clear message when a tool the integration tests need is missing, transpiles src/
// once for the child processes tests start (see app-build.ts), and starts the one PostgreSQL cluster the run's
// PostgreSQL test files share, a database each (see postgres.ts).
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import type { TestProject } from "vitest/node";
import { BUILD_ENV, buildSources, removeBuild } from "./app-build.js";
import { PG_ENV, postgresUnavailable, startCluster, type Cluster } from "./postgres.js";

/** Set while a run's setup is in place: every project inherits the global setup, and vitest calls it once each. */
const SETUP_ENV = "TRAILWATCH_TEST_SETUP";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // The second project's call: the first already bundled and started everything (it cost a second bundle and
  // cluster, ~4 s of start-up, before this guard).
  if (process.env[SETUP_ENV] === String(process.pid)) return () => Promise.resolve();
  process.env[SETUP_ENV] = String(process.pid);
  // initdb runs while moto is checked and the sources are bundled. A missing server is reported by each
  // PostgreSQL file (skipped).
  const starting = postgresUnavailable() ? undefined : startCluster({ maxConnections: 300 });
  const moto = promisify(execFile)("moto_server", ["--help"]).then(
    () => undefined,
    () => new Error("moto_server is not on PATH: the IAM/CloudTrail integration tests need it (see README, Testing)"),
  );
  // In watch mode the sources change under a running vitest: children then compile them through tsx.
  let root: string | undefined;
  let cluster: Cluster | undefined;
  try {
    root = project.config.watch ? undefined : buildSources();
    const missing = await moto;
    if (missing) throw missing;
    cluster = await starting;
  } catch (err) {
    process.env[SETUP_ENV] = "";
    if (root) removeBuild(root);
    await starting?.then((c) => c.stop(), () => undefined);
    throw err;
  }
  // A run that ends without its teardown (an uncaught error in vitest itself) still leaves no server behind.
  const onExit = () => cluster?.kill();
  process.once("exit", onExit);
  // Workers start after the global setup and inherit these.
  if (root) process.env[BUILD_ENV] = root;
  if (cluster) process.env[PG_ENV] = cluster.base;
  return async () => {
    process.env[BUILD_ENV] = "";
    process.env[PG_ENV] = "";
    process.env[SETUP_ENV] = "";
    if (root) removeBuild(root);
    await cluster?.stop();
    process.off("exit", onExit);
  };
}
