// Runs the longest test files first, whatever their project. vitest's own order runs one project after the other
// (all of "isolated", then all of "shared"), so the CPU-bound unit files queued behind the integration files that
// wait on real time, and a long file started late set the end of the run. Longest first packs the files across the
// workers. The files known to be long are named below, in seconds as measured on two cores; the others are ordered
// by vitest's results cache when it has them (a repeated local run; a clean clone, as in CI, has none). The list
// comes first because the cache holds whatever the last run on the machine measured, however busy it was. The
// figures only order the queue: a stale one costs some packing, never a test.
import { relative } from "node:path";
import { BaseSequencer, type TestSpecification } from "vitest/node";

const KNOWN: Record<string, number> = {
  "test/integration/polling.test.ts": 30,
  "test/integration/replicas-crash-recovery.test.ts": 27,
  "test/integration/grouping.test.ts": 22,
  "test/integration/health.test.ts": 17,
  "test/integration/crash-recovery.test.ts": 16,
  "test/integration/delivery.test.ts": 12,
  "test/replay/replay.test.ts": 9,
  "test/integration/restore.test.ts": 9,
  "test/integration/replicas.test.ts": 8,
  "test/integration/socket-mode.test.ts": 8,
  "test/integration/iam-audit.test.ts": 6,
  "test/cloudtrail/lookup.test.ts": 6,
  "test/remediation/restore-role.test.ts": 6,
  "test/integration/rules.test.ts": 5,
  "test/integration/workflow.test.ts": 5,
  "test/remediation/restore-resources.test.ts": 5,
};

export default class LongestFirst extends BaseSequencer {
  override sort(files: TestSpecification[]): Promise<TestSpecification[]> {
    const root = this.ctx.config.root;
    const estimate = (spec: TestSpecification): number => {
      const path = relative(root, spec.moduleId);
      const known = KNOWN[path];
      if (known !== undefined) return known;
      const cached = this.ctx.cache.getFileTestResults(`${spec.project.name}:${path}`);
      if (cached && cached.duration > 0) return cached.duration / 1000;
      // Unknown integration files start an app or servers: a few seconds; unit files well under one.
      return path.startsWith("test/integration/") ? 4 : 0.5;
    };
    const weight = new Map(files.map((f) => [f, estimate(f)]));
    return Promise.resolve([...files].sort((a, b) => (weight.get(b) ?? 0) - (weight.get(a) ?? 0)));
  }
}
