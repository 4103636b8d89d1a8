// A real SnapshotService over a temporary SQLite store, with a clock the test moves.
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { IAMClient } from "@aws-sdk/client-iam";
import { createLogger } from "../../src/log.js";
import { SnapshotService } from "../../src/snapshot/service.js";
import { KyselyStore } from "../../src/store/kysely.js";

export interface Snapshots {
  service: SnapshotService;
  store: KyselyStore;
  clock: { now: Date };
  /** Takes a snapshot at the given time; fails the test if it fails. */
  takeAt(at: string): Promise<number>;
}

export async function snapshotsFor(iam: IAMClient, retentionDays = 90): Promise<Snapshots> {
  const store = await KyselyStore.openSqlite(join(mkdtempSync(join(tmpdir(), "tw-snap-")), "t.db"));
  const clock = { now: new Date("2025-02-01T00:00:00Z") };
  const service = new SnapshotService({ store, scope: "default", iam, logger: createLogger("silent"), now: () => clock.now, retentionDays });
  return {
    service,
    store,
    clock,
    async takeAt(at: string) {
      clock.now = new Date(at);
      const r = await service.run("test");
      if (!r.ok) throw new Error(`snapshot failed: ${r.error}`);
      return r.meta.id;
    },
  };
}
