import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Integration tests start child processes and servers and spend most of their time waiting on real time
    // (poll intervals, Slack pacing, the LookupEvents rate), not on CPU: on two cores a third worker fills
    // that idle time. More would starve the CPU-bound files (moto, tsx start-ups).
    maxWorkers: 3,
    reporters: ["default", "./test/support/summary-reporter.ts"],
  },
});
