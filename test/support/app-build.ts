// How tests run the app's entry points (the bot, its CLIs) as child processes.
//
// Through tsx every child process compiles the sources again on start-up: measured at 4.6-5.9 s a start on a
// busy 2-core machine, against 0.3-3.5 s for the same modules already compiled, and the integration tests
// start about seventy processes. So the global setup (test/support/global-setup.ts) bundles the entry points once
// per run with esbuild, the transpiler tsx itself uses, into a temporary tree laid out like the repository (so
// paths such as src/doctor's `../../manifest.yml` still resolve), and child processes run that. Without it (a test
// file run outside vitest's global setup, or watch mode, where sources change under a running vitest) they
// run the sources through tsx as before.
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { buildSync } from "esbuild";

export const REPO_ROOT = resolve(import.meta.dirname, "../..");
const TSX_LOADER = pathToFileURL(join(REPO_ROOT, "node_modules/tsx/dist/loader.mjs")).href;
/** Set by the global setup to the root of the transpiled tree for the run. */
export const BUILD_ENV = "TRAILWATCH_TEST_BUILD";

/**
 * Node arguments that run a source file, e.g. `nodeArgs("src/index.ts")`: its transpiled copy when the run has
 * one, else the source through tsx.
 */
export function nodeArgs(sourcePath: string): string[] {
  const build = process.env[BUILD_ENV];
  if (build) {
    const compiled = join(build, sourcePath.replace(/\.ts$/, ".js"));
    if (existsSync(compiled)) return [compiled];
  }
  return ["--import", TSX_LOADER, join(REPO_ROOT, sourcePath)];
}

/** The entry points tests start as child processes (nodeArgs), bundled by buildSources. */
export const CHILD_ENTRY_POINTS = ["src/index.ts", "src/cli/trailwatch.ts", "src/cli/doctor.ts", "src/cli/export-actions.ts"];

/**
 * Bundles the child entry points, with the packages they import, into a new temporary tree and returns its root
 * (`<root>/src/index.js`, …). One bundle loads in about half the CPU time of the same modules as thousands of
 * files (0.35 against 0.8 s a process start, measured for src/main.ts), and the suite starts some seventy
 * processes. Code shared by the entry points goes to `src/chunks/`, at the depth of the sources, so paths read
 * relative to a module (src/doctor's `../../manifest.yml`) resolve as from the sources. better-sqlite3 (a native
 * addon) stays in node_modules. `npm test`'s type check still checks every import as Node resolves it.
 */
export function buildSources(): string {
  const root = mkdtempSync(join(tmpdir(), "trailwatch-test-build-"));
  mkdirSync(join(root, "src"));
  buildSync({
    entryPoints: CHILD_ENTRY_POINTS.map((f) => join(REPO_ROOT, f)),
    outdir: join(root, "src"),
    outbase: join(REPO_ROOT, "src"),
    bundle: true,
    splitting: true,
    chunkNames: "chunks/[name]-[hash]",
    external: ["better-sqlite3", "pg-native"],
    // Bundled CommonJS packages call require(); ESM output has none of its own.
    banner: { js: "import { createRequire as __twCreateRequire } from 'node:module'; const require = __twCreateRequire(import.meta.url);" },
    format: "esm",
    platform: "node",
    target: "node20",
    // Beside the bundle, not inline: read only with --enable-source-maps, not at every start.
    sourcemap: "linked",
    logLevel: "warning",
  });
  // Bare imports resolve through the repository's node_modules; files read relative to the sources
  // (manifest.yml) through links beside the copy.
  writeFileSync(join(root, "package.json"), JSON.stringify({ type: "module" }));
  symlinkSync(join(REPO_ROOT, "node_modules"), join(root, "node_modules"), "dir");
  for (const f of readdirSync(REPO_ROOT)) {
    if (/\.(ya?ml|json)$/.test(f) && f !== "package.json") symlinkSync(join(REPO_ROOT, f), join(root, f));
  }
  return root;
}

export function removeBuild(root: string): void {
  rmSync(root, { recursive: true, force: true });
}

/**
 * Runs `trailwatch <args>` as an operator would, from an empty directory with only PATH, HOME and `env`.
 * `launcher: true` goes through bin/trailwatch.js (what `npx trailwatch` runs, which compiles through tsx);
 * otherwise the command module runs directly, transpiled once per run.
 */
export function trailwatchCli(args: string[], env: Record<string, string> = {}, opts: { launcher?: boolean } = {}): SpawnSyncReturns<string> {
  const entry = opts.launcher ? [join(REPO_ROOT, "bin/trailwatch.js")] : nodeArgs("src/cli/trailwatch.ts");
  return spawnSync(process.execPath, [...entry, ...args], {
    cwd: mkdtempSync(join(tmpdir(), "tw-cli-")),
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? "", ...env },
    encoding: "utf8",
    timeout: 60_000,
  });
}
