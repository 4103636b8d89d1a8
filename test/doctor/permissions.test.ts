// The doctor's lists stay in step with what they describe: the read statements of deploy/iam-policy.json and
// the bot scopes of manifest.yml. And its table stays readable.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import { MANIFEST_BOT_SCOPES, manifestBotScopes } from "../../src/doctor/checks.js";
import { PROBES, READ_GROUPS } from "../../src/doctor/permissions.js";
import { formatResults } from "../../src/doctor/table.js";
import { REPO_ROOT } from "../support/app-process.js";

test("the doctor checks exactly the read statements of deploy/iam-policy.json, each with a harmless probe", () => {
  const policy = JSON.parse(readFileSync(join(REPO_ROOT, "deploy/iam-policy.json"), "utf8")) as { Statement: { Sid: string; Action: string[] }[] };
  for (const g of READ_GROUPS) {
    const st = policy.Statement.find((s) => s.Sid === g.sid);
    expect(st?.Action.slice().sort(), g.sid).toEqual(g.actions.slice().sort());
    for (const a of g.actions) expect(PROBES[a], a).toBeTypeOf("function");
  }
});

test("the built-in scope list is manifest.yml's, and the manifest is read at run time", () => {
  expect(manifestBotScopes()).toEqual([...MANIFEST_BOT_SCOPES]);
});

test("the table keeps names in one column, wraps long text and puts each fix under its ✗", () => {
  const text = formatResults(
    [
      { ok: true, name: "Slack token", detail: "valid" },
      { ok: false, name: "CloudTrail LookupEvents", detail: "denied: the bot lacks cloudtrail:LookupEvents", fix: "Grant cloudtrail:LookupEvents ".repeat(8).trim() },
      { ok: true, name: "user group S0123456789 (RESPONDERS, APPROVERS, ONCALL_USERGROUP_ID)", detail: "resolves to 3 members" },
    ],
    80,
  );
  const lines = text.split("\n");
  expect(lines[0]).toMatch(/^✓ Slack token {2,}valid$/);
  expect(lines[1]).toMatch(/^✗ CloudTrail LookupEvents {2,}denied/);
  expect(lines[2]?.trim().startsWith("fix: Grant")).toBe(true);
  expect(lines.find((l) => l.startsWith("✓ user group"))).toBe("✓ user group S0123456789 (RESPONDERS, APPROVERS, ONCALL_USERGROUP_ID)");
  expect(Math.max(...lines.map((l) => Array.from(l).length))).toBeLessThanOrEqual(80);
  expect(text).toContain("1 of 3 checks failed.");
});
