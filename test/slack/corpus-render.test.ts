// Every IAM deletion in the real public records (test/fixtures/cloudtrail) rendered as the Slack alert a
// responder would see: the event name is shown, every named resource appears, and all Block Kit
// limits hold. Real records are messier than fixtures (null parameters, placeholder values, odd identities).
import { readFileSync, readdirSync } from "node:fs";
import { gunzipSync } from "node:zlib";
import { expect, test } from "vitest";
import { getCatalogEntry } from "../../src/catalog/index.js";
import { normalizeLookupEvent, normalizeRecord, type LookupEventInput } from "../../src/cloudtrail/normalize.js";
import { decide } from "../../src/detect/index.js";
import { buildAlertDetails, buildAlertMessage } from "../../src/slack/blocks/alert.js";
import { validateMessage } from "../../src/slack/blocks/limits.js";
import { code } from "../../src/slack/mrkdwn.js";

const CORPUS_URL = new URL("../fixtures/cloudtrail/", import.meta.url);

function records(): { file: string; line: number; raw: unknown }[] {
  const out: { file: string; line: number; raw: unknown }[] = [];
  for (const file of readdirSync(CORPUS_URL).filter((f) => /\.jsonl(\.gz)?$/.test(f))) {
    const buf = readFileSync(new URL(file, CORPUS_URL));
    const text = file.endsWith(".gz") ? gunzipSync(buf).toString("utf8") : buf.toString("utf8");
    text.split("\n").forEach((l, i) => {
      if (l.trim()) out.push({ file, line: i + 1, raw: JSON.parse(l) as unknown });
    });
  }
  return out;
}

const alerting = records()
  .map((r) => {
    const ev = r.file.startsWith("lookup-events-") ? normalizeLookupEvent(r.raw as LookupEventInput) : normalizeRecord(r.raw);
    return { ...r, ev, decision: decide(ev) };
  })
  .filter((r) => r.decision.alert);

test("the corpus has IAM deletions to render", () => {
  expect(alerting.length).toBe(48);
});

test.each(alerting.map((r) => [`${r.file}:${r.line}`, r] as const))("%s renders within Block Kit limits", (_name, r) => {
  if (!r.decision.alert) throw new Error("unreachable");
  const msg = buildAlertMessage(
    { event: r.ev, severity: r.decision.severity, severityReason: r.decision.severityReason, outcome: r.decision.outcome },
    getCatalogEntry(r.decision.eventName),
  );
  const details = buildAlertDetails(
    { event: r.ev, severity: r.decision.severity, severityReason: r.decision.severityReason, outcome: r.decision.outcome },
    getCatalogEntry(r.decision.eventName),
  );
  expect(validateMessage(msg)).toEqual([]);
  expect(validateMessage(details)).toEqual([]);
  // The compact top level names the call and its first resource; the details reply names every resource.
  const json = JSON.stringify(msg.blocks);
  expect(json).toContain(r.ev.eventName);
  const first = r.ev.resources[0];
  if (first) expect(json).toContain(JSON.stringify(code(first.value, 200)).slice(1, -1).slice(0, 20));
  const detailsJson = JSON.stringify(details.blocks);
  for (const res of r.ev.resources) expect(detailsJson).toContain(JSON.stringify(code(res.value, 200)).slice(1, -1).slice(0, 20));
  expect(msg.text).toContain(r.ev.eventName);
  if (r.decision.outcome !== "success") expect(msg.text).toMatch(/attempt/i);
});
