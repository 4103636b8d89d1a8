// Runs the longest test files first, whatever their project. vitest's own order runs one project after the other
// (all of "isolated", then all of "shared"), so the CPU-bound unit files queued behind the integration files that
// wait on real time, and a long file started late set the end of the run. Longest first packs the files across the
// workers. Durations come from vitest's results cache when it has them (a repeated local run); a clean clone (CI)
// has none, so the files known to be long are named below, in seconds as measured on two idle cores. The figures
// only order the queue: a stale one costs some packing, never a test.
import { relative } from "node:path";
import { BaseSequencer, type TestSpecification } from "vitest/node";

const KNOWN: Record<string, number> = {
  "test/integration/replicas-crash-recovery.test.ts": 35,
  "test/integration/polling.test.ts": 37,
  "test/integration/grouping.test.ts": 37,
  "test/integration/crash-recovery.test.ts": 19,
  "test/integration/health.test.ts": 19,
  "test/integration/delivery.test.ts": 15,
  "test/replay/replay.test.ts": 12,
  "test/integration/replicas.test.ts": 11,
  "test/integration/lease.test.ts": 9,
  "test/integration/socket-mode.test.ts": 9,
  "test/integration/iam-audit.test.ts": 9,
  "test/integration/restore.test.ts": 8,
  "test/remediation/restore-role.test.ts": 8,
  "test/integration/startup.test.ts": 8,
  "test/remediation/restore-resources.test.ts": 7,
  "test/integration/rules.test.ts": 6,
  "test/cloudtrail/lookup.test.ts": 6,
};

export default class LongestFirst extends BaseSequencer {
  override sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root;
    const estimate = (spec: TestSpecification): number => {
      const path = relative(root, spec.moduleId);
      const cached = this.ctx.cache.getFileTestResults(`${spec.project.name}:${path}`);
      if (cached && cached.duration > 0) return cached.duration / 1000;
      // Unknown integration files start an app or servers: a few seconds; unit files well under one.
      return KNOWN[path] ?? (path.startsWith("test/integration/") ? 4 : 0.5);
    };
    const weight = new Map(files.map((f) => [f, estimate(f)]));
    return Promise.resolve([...files].sort((a, b) => (weight.get(b) ?? 0) - (weight.get(a) ?? 0)));
  }
}
