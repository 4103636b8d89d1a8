import { defineConfig } from "vitest/config";
import LongestFirst from "./test/support/sequencer.js";

// Files that leave process-wide state behind (process.env pointed at fake AWS endpoints, prom-client's module-level
// registry) run each in a fresh module graph. The rest share one per worker (isolate: false): loading the AWS SDK,
// Bolt and the sources again for every file cost about 40 CPU seconds on two cores for the unit files (128 s of
// import time isolated, 35 s shared). The integration tests share too: their state lives in the servers and child
// processes each file starts and stops (isolated, their import time was 34 s against 10 s; 116 against 98 CPU
// seconds for test/integration on the same busy machine).
const ISOLATED = [
  "test/accounts/pollers.test.ts",
  "test/accounts/registry.test.ts",
  // prom-client keeps its counters in a module-level registry, which other files in the worker would move.
  "test/metrics/metrics.test.ts",
];

export default defineConfig({
  test: {
    globalSetup: ["test/support/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests start child processes and servers and spend much of their time waiting on real
    // time (poll intervals, Slack pacing, the LookupEvents rate), not on CPU: on two cores a third worker
    // fills that idle time. More would starve the CPU-bound files (moto, app start-ups).
    maxWorkers: 3,
    reporters: ["default", "./test/support/summary-reporter.ts"],
    // Longest files first, across both projects (see the file).
    sequence: { sequencer: LongestFirst },
    projects: [
      { extends: true, test: { name: "shared", include: ["test/**/*.test.ts"], exclude: ["**/node_modules/**", ...ISOLATED], isolate: false } },
      { extends: true, test: { name: "isolated", include: ISOLATED } },
    ],
  },
});
