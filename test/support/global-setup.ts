// Once per run: fails fast with a clear message when a tool the integration tests need is missing, transpiles src/
// once for the child processes tests start (see app-build.ts), and starts the one PostgreSQL cluster the run's
// PostgreSQL test files share, a database each (see postgres.ts).
import { execFileSync } from "node:child_process";
import type { TestProject } from "vitest/node";
import { BUILD_ENV, buildSources, removeBuild } from "./app-build.js";
import { PG_ENV, postgresUnavailable, startCluster, type Cluster } from "./postgres.js";

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  try {
    execFileSync("moto_server", ["--help"], { stdio: "ignore" });
  } catch {
    throw new Error("moto_server is not on PATH: the IAM/CloudTrail integration tests need it (see README, Testing)");
  }
  // initdb runs while the sources are transpiled. A missing server is reported by each PostgreSQL file (skipped).
  const starting = postgresUnavailable() ? undefined : startCluster({ maxConnections: 300 });
  // In watch mode the sources change under a running vitest: children then compile them through tsx.
  let root: string | undefined;
  let cluster: Cluster | undefined;
  try {
    root = project.config.watch ? undefined : buildSources();
    cluster = await starting;
  } catch (err) {
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
    if (root) removeBuild(root);
    await cluster?.stop();
    process.off("exit", onExit);
  };
}
