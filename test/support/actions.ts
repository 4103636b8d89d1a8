// The record of actions as an operator reads it: from the store (what `npm run export-actions` prints), not
// from log lines. Opens the SQLite database the app writes for each read, so it sees the app's commits.
import { KyselyStore } from "../../src/store/kysely.js";
import type { ActionRecord } from "../../src/store/types.js";

/** Every recorded action in a SQLite database, oldest first. */
export async function recordedActions(sqlitePath: string): Promise<ActionRecord[]> {
  const store = await KyselyStore.openSqlite(sqlitePath);
  try {
    const out: ActionRecord[] = [];
    for await (const a of store.iterateActions()) out.push(a);
    return out;
  } finally {
    await store.close();
  }
}

/** Waits until an action matching `pred` is recorded, and returns it. */
export async function waitForAction(sqlitePath: string, pred: (a: ActionRecord) => boolean, timeoutMs = 20_000): Promise<ActionRecord> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const all = await recordedActions(sqlitePath);
    const hit = all.find(pred);
    if (hit) return hit;
    if (Date.now() > deadline) {
      const seen = all.map((a) => `${a.actor} ${a.action} ${a.result}`).join("\n  ");
      throw new Error(`no matching action recorded within ${timeoutMs} ms; recorded:\n  ${seen}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** "actor action result" of each action, oldest first: a compact form to compare against. */
export const actionLine = (a: ActionRecord): string => `${a.actor} ${a.action} ${a.result}`;
