// Once per run: fails fast with a clear message when a tool the integration tests need is missing, and
// transpiles src/ once for the child processes tests start (see app-build.ts).
import { execFileSync } from "node:child_process";
import type { TestProject } from "vitest/node";
import { BUILD_ENV, buildSources, removeBuild } from "./app-build.js";

export default function setup(project: TestProject): () => void {
  try {
    execFileSync("moto_server", ["--help"], { stdio: "ignore" });
  } catch {
    throw new Error("moto_server is not on PATH: the IAM/CloudTrail integration tests need it (see README, Testing)");
  }
  // In watch mode the sources change under a running vitest: children then compile them through tsx.
  if (project.config.watch) return () => undefined;
  const root = buildSources();
  // Workers start after the global setup and inherit this.
  process.env[BUILD_ENV] = root;
  return () => {
    process.env[BUILD_ENV] = "";
    removeBuild(root);
  };
}
