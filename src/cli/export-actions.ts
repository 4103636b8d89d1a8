// Exports the record of actions (acknowledge, escalate, remediation requests, approvals, rejections,
// refusals, outcomes) as JSON lines, oldest first. Reads DATABASE_URL (and .env) only, so it runs on the
// bot's host without the Slack settings:  npm run -s export-actions > actions.jsonl
//   options: --since <ISO date>   only actions at or after that time
//            --out <file>         write to a file instead of standard output
import { createWriteStream, existsSync } from "node:fs";
import { once } from "node:events";
import { parseArgs } from "node:util";
import dotenv from "dotenv";
import { isPostgresUrl } from "../config.js";
import { KyselyStore } from "../store/kysely.js";
import type { Store } from "../store/types.js";

dotenv.config({ quiet: true });

const { values } = parseArgs({ options: { since: { type: "string" }, out: { type: "string" } } });
const url = process.env.DATABASE_URL?.trim() || "sqlite:./data/trailwatch.db";
const postgres = isPostgresUrl(url);
if (!url.startsWith("sqlite:") && !postgres) {
  process.stderr.write("export-actions: DATABASE_URL must be a sqlite: or postgres:// URL\n");
  process.exit(2);
}
const since = values.since ? new Date(values.since) : null;
if (since && Number.isNaN(since.getTime())) {
  process.stderr.write("export-actions: --since must be an ISO date such as 2026-01-31T00:00:00Z\n");
  process.exit(2);
}
const path = url.replace(/^sqlite:(\/\/)?/, "");
if (!postgres && !existsSync(path)) {
  process.stderr.write(`export-actions: no database at ${path} (check DATABASE_URL)\n`);
  process.exit(2);
}
const store: Store = postgres ? await KyselyStore.openPostgres(url) : await KyselyStore.openSqlite(path);
const out = values.out ? createWriteStream(values.out) : process.stdout;
let n = 0;
for await (const a of store.iterateActions()) {
  if (since && a.at < since) continue;
  const line = JSON.stringify({ id: a.id, at: a.at.toISOString(), actor: a.actor, action: a.action, result: a.result, alertEventId: a.alertEventId, requestId: a.requestId, detail: a.detail }) + "\n";
  if (!out.write(line)) await once(out, "drain");
  n++;
}
await store.close();
if (values.out) {
  out.end();
  process.stderr.write(`export-actions: wrote ${n} actions to ${values.out}\n`);
}
