// Replay over real CloudTrail records in every file shape it reads, and over broken files.
import { createWriteStream, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { once } from "node:events";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync, gzipSync } from "node:zlib";
import { beforeAll, describe, expect, test } from "vitest";
import { IAM_DELETION_EVENT_NAMES } from "../../src/domain.js";
import { alertLine, terminalSafe } from "../../src/replay/format.js";
import { ReplayGrouper } from "../../src/replay/grouping.js";
import { replay, type ReplayAlert, type ReplayProblem, type ReplaySummary } from "../../src/replay/index.js";
import { applyRules, effectiveRules, type RuleSpec } from "../../src/rules/index.js";
import { normalizeRecord } from "../../src/cloudtrail/normalize.js";
import { decide } from "../../src/detect/index.js";
import { REPO_ROOT, trailwatchCli } from "../support/app-build.js";
import { ASSUMED_DEPLOYER, iamRecord } from "../support/records.js";

const FIXTURES = join(REPO_ROOT, "test/fixtures/cloudtrail");
const noRules = effectiveRules({ muteEvents: [], mutePrincipals: [], minSeverity: "low" }, []);
const DELETIONS = new Set<string>(IAM_DELETION_EVENT_NAMES);

/** Every log-file record of the corpus (the LookupEvents example is another shape, left out). */
function corpus(): { file: string; records: Record<string, unknown>[] }[] {
  return readdirSync(FIXTURES)
    .filter((f) => f.endsWith(".jsonl.gz"))
    .sort()
    .map((file) => ({
      file,
      records: gunzipSync(readFileSync(join(FIXTURES, file)))
        .toString("utf8")
        .split("\n")
        .filter((l) => l.trim() !== "")
        .map((l) => JSON.parse(l) as Record<string, unknown>),
    }));
}

/** The oracle: an IAM deletion record is one from iam.amazonaws.com whose name is one of the 30. */
const isDeletion = (r: Record<string, unknown>) => r.eventSource === "iam.amazonaws.com" && DELETIONS.has(String(r.eventName));

async function run(paths: string[], opts: { rules?: RuleSpec[]; since?: Date; until?: Date; grouper?: ReplayGrouper } = {}) {
  const alerts: ReplayAlert[] = [];
  const suppressed: ReplayAlert[] = [];
  const problems: ReplayProblem[] = [];
  const summary: ReplaySummary = await replay(
    paths,
    { rules: opts.rules ? effectiveRules({ muteEvents: [], mutePrincipals: [], minSeverity: "low" }, opts.rules) : noRules, since: opts.since, until: opts.until, grouper: opts.grouper },
    { alert: (a) => alerts.push(a), suppressed: (a) => suppressed.push(a), problem: (p) => problems.push(p) },
  );
  return { alerts, suppressed, problems, summary };
}

let dir: string;
let expectedIds: string[];
let totalRecords: number;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), "tw-replay-"));
  const c = corpus();
  expectedIds = c.flatMap((f) => f.records.filter(isDeletion).map((r) => String(r.eventID))).sort();
  totalRecords = c.reduce((n, f) => n + f.records.length, 0);
  // The same records as {"Records":[…]} documents: plain, gzip, and in an S3 export layout.
  mkdirSync(join(dir, "docs"));
  c.forEach((f, i) => {
    const doc = JSON.stringify({ Records: f.records });
    if (i % 2 === 0) writeFileSync(join(dir, "docs", f.file.replace(/\.jsonl\.gz$/, ".json")), doc);
    else writeFileSync(join(dir, "docs", f.file.replace(/\.jsonl\.gz$/, ".json.gz")), gzipSync(doc));
  });
  c.forEach((f, i) => {
    const day = join(dir, "s3", "AWSLogs", "123456789012", "CloudTrail", "us-east-1", "2026", "11", String(10 + i));
    mkdirSync(day, { recursive: true });
    // Pretty-printed, as some exports are, split in two files per day.
    const half = Math.ceil(f.records.length / 2);
    writeFileSync(join(day, `123456789012_CloudTrail_us-east-1_a_${i}.json.gz`), gzipSync(JSON.stringify({ Records: f.records.slice(0, half) }, null, 2)));
    writeFileSync(join(day, `123456789012_CloudTrail_us-east-1_b_${i}.json.gz`), gzipSync(JSON.stringify({ Records: f.records.slice(half) })));
  });
  // CloudTrail digest files sit next to the logs in S3 and are not events.
  const digest = join(dir, "s3", "AWSLogs", "123456789012", "CloudTrail-Digest", "us-east-1");
  mkdirSync(digest, { recursive: true });
  writeFileSync(join(digest, "d.json.gz"), gzipSync(JSON.stringify({ awsAccountId: "123456789012", logFiles: [] })));
});

describe("formats", () => {
  test("JSON lines (the corpus): exactly one alert per IAM deletion record, nothing else", async () => {
    const r = await run([FIXTURES]);
    expect(expectedIds.length).toBeGreaterThan(40);
    expect(r.alerts.map((a) => a.event.eventId).sort()).toEqual(expectedIds);
    expect(r.summary.alerts).toBe(expectedIds.length);
    expect(r.summary.records).toBe(totalRecords + 1); // + the LookupEvents example
  });

  test("with chains and digests grouped as the bot groups them: still exactly one alert per IAM deletion record", async () => {
    const grouper = new ReplayGrouper({ chainWindowMs: 5 * 60_000, digestThreshold: 10, digestWindowMs: 2 * 60_000 });
    const r = await run([FIXTURES], { grouper });
    expect(r.alerts.map((a) => a.event.eventId).sort()).toEqual(expectedIds);
    expect(r.alerts.some((a) => a.group?.kind === "chain")).toBe(true);
    expect(grouper.stateSize()).toEqual({ held: 0, open: 0 });
  });

  test('{"Records":[…]} documents, plain and gzip', async () => {
    const r = await run([join(dir, "docs")]);
    expect(r.alerts.map((a) => a.event.eventId).sort()).toEqual(expectedIds);
    expect(r.summary.records).toBe(totalRecords);
  });

  test("an S3 export folder, walked recursively, digests skipped", async () => {
    const r = await run([join(dir, "s3")]);
    expect(r.alerts.map((a) => a.event.eventId).sort()).toEqual(expectedIds);
    expect(r.summary.files).toBe(2 * corpus().length);
    expect(r.problems.filter((p) => !/no valid eventTime/.test(p.message))).toEqual([]);
  });

  test("AWS CLI lookup-events output ({\"Events\":[…]} with CloudTrailEvent strings) and a top-level array", async () => {
    const d = mkdtempSync(join(tmpdir(), "tw-replay-cli-shape-"));
    const r = iamRecord({ eventName: "DeleteRole", requestParameters: { roleName: "looked-up" } });
    const item = { EventId: r.eventID, EventName: "DeleteRole", EventSource: "iam.amazonaws.com", EventTime: r.eventTime, CloudTrailEvent: JSON.stringify(r) };
    writeFileSync(join(d, "lookup.json"), JSON.stringify({ Events: [item], NextToken: "x" }, null, 2));
    const r2 = iamRecord({ eventName: "DeleteUser", requestParameters: { userName: "arrayed" } });
    writeFileSync(join(d, "array.json"), JSON.stringify([r2, iamRecord({ eventName: "GetUser", readOnly: true })]));
    const out = await run([d]);
    expect(out.alerts.map((a) => a.event.resources[0]?.value).sort()).toEqual(["arrayed", "looked-up"]);
    expect(out.problems).toEqual([]);
  });

  test("--since/--until keep alerts in [since, until)", async () => {
    const since = new Date("2023-07-10T12:08:00Z");
    const until = new Date("2023-07-10T12:09:00Z");
    const r = await run([FIXTURES], { since, until });
    expect(r.alerts.length).toBeGreaterThan(0);
    for (const a of r.alerts) {
      const t = a.event.eventTime?.getTime() ?? NaN;
      expect(t >= since.getTime() && t < until.getTime()).toBe(true);
    }
    expect(r.alerts.length + r.summary.outsideWindow).toBe(expectedIds.length);
  });

  test("rules apply: a suppressed alert is counted, not shown; a routed one carries its channel", async () => {
    const r = await run([FIXTURES], {
      rules: [
        { name: "cleanup by bert-jan", match: { actor: [{ type: "IAMUser", user: "bert-jan" }], events: ["DeleteRole"] }, suppress: true },
        { name: "logins to team", match: { events: ["DeleteLoginProfile"] }, route: "C0TEAM" },
      ],
    });
    expect(r.suppressed.length).toBeGreaterThan(0);
    expect(r.suppressed.every((a) => a.event.eventName === "DeleteRole" && a.ruled.rule === "cleanup by bert-jan")).toBe(true);
    expect(r.alerts.length + r.suppressed.length).toBe(expectedIds.length);
    const logins = r.alerts.filter((a) => a.event.eventName === "DeleteLoginProfile");
    expect(logins.length).toBeGreaterThan(0);
    expect(logins.every((a) => a.ruled.route === "C0TEAM" && alertLine(a).includes("rule=logins to team"))).toBe(true);
  });
});

describe("broken input", () => {
  const rec = (o: Parameters<typeof iamRecord>[0]) => iamRecord(o);

  test("corrupt gzip: a clear error line for that file; the other files are still read", async () => {
    const d = mkdtempSync(join(tmpdir(), "tw-replay-bad-"));
    const good = gzipSync(JSON.stringify({ Records: [rec({ eventName: "DeleteRole", requestParameters: { roleName: "a" } })] }));
    writeFileSync(join(d, "a-good.json.gz"), good);
    const corrupt = Buffer.from(good);
    for (let i = 12; i < corrupt.length - 8; i++) corrupt[i] = (corrupt[i] ?? 0) ^ 0x5a;
    writeFileSync(join(d, "b-corrupt.json.gz"), corrupt);
    writeFileSync(join(d, "c-cut.json.gz"), good.subarray(0, Math.floor(good.length / 2)));
    const r = await run([d]);
    expect(r.alerts).toHaveLength(1);
    expect(r.problems.map((p) => [p.file.split("/").pop(), p.message.split(";")[0]])).toEqual([
      ["b-corrupt.json.gz", expect.stringMatching(/^corrupt gzip data|^not JSON/)],
      ["c-cut.json.gz", expect.stringMatching(/^corrupt gzip data \(unexpected end of file\)|^truncated JSON/)],
    ]);
    expect(r.summary).toMatchObject({ files: 3, filesRead: 1, filesUnreadable: 2 });
  });

  test("a truncated JSON document: the complete records before the cut are processed, and the cut is reported", async () => {
    const d = mkdtempSync(join(tmpdir(), "tw-replay-cut-"));
    const full = JSON.stringify({ Records: [rec({ eventName: "DeleteUser", requestParameters: { userName: "u1" } }), rec({ eventName: "DeleteRole", requestParameters: { roleName: "r1" } }), rec({ eventName: "DeleteGroup", requestParameters: { groupName: "g" } })] });
    writeFileSync(join(d, "cut.json"), full.slice(0, full.lastIndexOf('{"eventVersion"') + 40));
    const r = await run([d]);
    expect(r.alerts.map((a) => a.event.eventName)).toEqual(["DeleteUser", "DeleteRole"]);
    expect(r.problems).toEqual([{ file: join(d, "cut.json"), message: "truncated JSON: the input ends inside the list of records (after 2 complete records); 2 records before it were read" }]);
  });

  test("a record without eventTime is reported with its number and still alerted; a bad record does not stop the file", async () => {
    const d = mkdtempSync(join(tmpdir(), "tw-replay-time-"));
    const noTime = rec({ eventName: "DeleteRole", requestParameters: { roleName: "r" } });
    delete noTime.eventTime;
    const lines = [JSON.stringify(rec({ eventName: "DeleteUser", requestParameters: { userName: "u" } })), JSON.stringify(noTime), '{"eventSource": "iam.amazonaws.com", "eventName": "DeleteRole", "bad": tru}', JSON.stringify(rec({ eventName: "DeleteGroup", requestParameters: { groupName: "g" } }))];
    writeFileSync(join(d, "t.jsonl"), lines.join("\n"));
    const r = await run([d]);
    expect(r.alerts.map((a) => [a.event.eventName, a.event.eventTime === null])).toEqual([
      ["DeleteUser", false],
      ["DeleteRole", true],
      ["DeleteGroup", false],
    ]);
    expect(r.problems.map((p) => [p.record, p.message.replace(/\(.*\)/, "(…)")])).toEqual([
      [2, "DeleteRole has no valid eventTime; alerted with an unknown time"],
      [3, "not valid JSON (…); skipped"],
    ]);
  });

  test("a record delivered twice alerts once; CloudTrail Insights records never alert", async () => {
    const d = mkdtempSync(join(tmpdir(), "tw-replay-dup-"));
    const r1 = rec({ eventName: "DeleteRole", requestParameters: { roleName: "r" } });
    const insight = { ...rec({ eventName: "DeleteRole" }), eventType: "AwsCloudTrailInsight", eventCategory: "Insight", insightDetails: { state: "Start" } };
    writeFileSync(join(d, "a.json"), JSON.stringify({ Records: [r1, insight] }));
    writeFileSync(join(d, "b.json"), JSON.stringify({ Records: [r1] }));
    const r = await run([d]);
    expect(r.alerts.map((a) => a.event.eventId)).toEqual([r1.eventID]);
    expect(r.summary).toMatchObject({ duplicates: 1, insights: 1, alerts: 1 });
  });

  test("nothing readable: no alerts, every file listed as unreadable", async () => {
    const d = mkdtempSync(join(tmpdir(), "tw-replay-none-"));
    writeFileSync(join(d, "x.json"), "this is not JSON");
    const r = await run([d, join(d, "missing.json")]);
    expect(r.summary.filesRead).toBe(0);
    expect(r.problems.map((p) => p.message)).toEqual(["no such file or folder", "not JSON: unexpected \"t\" at byte 0; 0 records before it were read"]);
  });
});

test("a ~100 MB Records document is streamed: constant buffer, every deletion found", async () => {
  const d = mkdtempSync(join(tmpdir(), "tw-replay-big-"));
  const path = join(d, "big.json");
  const ws = createWriteStream(path);
  const noise = JSON.stringify(rec2("GetRole")).replace(/"eventID":"[^"]*"/, '"eventID":"ID"');
  ws.write('{"Records":[');
  let bytes = 0;
  let i = 0;
  const deletions: string[] = [];
  while (bytes < 100 * 1024 * 1024) {
    let line: string;
    if (i % 20_000 === 10_000) {
      const r = rec2("DeleteRole");
      deletions.push(String(r.eventID));
      line = JSON.stringify(r);
    } else {
      line = noise.replace('"ID"', `"n-${i}"`);
    }
    const chunk = (i === 0 ? "" : ",") + line;
    bytes += chunk.length;
    if (!ws.write(chunk)) await once(ws, "drain");
    i++;
  }
  ws.end("]}");
  await once(ws, "finish");
  const r = await run([path]);
  expect(r.summary.records).toBe(i);
  expect(r.alerts.map((a) => a.event.eventId)).toEqual(deletions);
  // Never more than a read chunk (1 MiB) plus a partial record held at once, whatever the file size.
  expect(r.summary.peakBufferedBytes).toBeLessThan(2 * 1024 * 1024);
}, 120_000);

function rec2(eventName: string) {
  return iamRecord({ eventName, requestParameters: { roleName: "role-x" }, readOnly: eventName.startsWith("Get") });
}

describe("terminal safety and the command line", () => {
  test("control characters from a record are shown as escapes, never sent to the terminal", () => {
    expect(terminalSafe("a\u001b[31mred\u0007\r\nb\u202ec")).toBe("a\\u001b[31mred\\u0007\\u000d\\u000ab\\u202ec");
  });

  const cli = trailwatchCli;

  test("prints one line per alert and a summary, exit 0; hostile values are escaped", () => {
    const d = mkdtempSync(join(tmpdir(), "tw-replay-cli-"));
    writeFileSync(join(d, "a.jsonl"), JSON.stringify(iamRecord({ eventName: "DeleteRole", requestParameters: { roleName: "evil\u001b]8;;http://x\u0007role" } })) + "\n");
    // Through the launcher `npx trailwatch` runs; the other tests run the command module directly.
    const res = cli(["replay", d], {}, { launcher: true });
    expect(res.status).toBe(0);
    const lines = res.stdout.trim().split("\n");
    expect(lines[0]).toMatch(/^\d{4}-\d\d-\d\dT\S+Z {2}HIGH {6}DeleteRole +by arn:aws:iam::123456789012:user\/alice {2}on Role evil\\u001b\]8;;http:\/\/x\\u0007role {2}succeeded$/);
    expect(res.stdout).not.toContain("\u001b");
    expect(lines.at(-1)).toMatch(/^Summary: 1 alert \(high 1\) from 1 records in 1 file; /);
  });

  test("--format json: one object per alert, then a summary", () => {
    const res = cli(["replay", "--format", "json", join(FIXTURES, "stratus-red-team-detonation-logs.jsonl.gz")]);
    expect(res.status).toBe(0);
    const objs = res.stdout.trim().split("\n").map((l) => JSON.parse(l) as { type: string; eventName?: string; alerts?: number });
    expect(objs.at(-1)).toMatchObject({ type: "summary", alerts: objs.length - 1, files: 1 });
    expect(objs.slice(0, -1).every((o) => o.type === "alert" && DELETIONS.has(String(o.eventName)))).toBe(true);
  });

  test("exit codes: 1 when nothing could be read, 2 for a usage or rules error", () => {
    const d = mkdtempSync(join(tmpdir(), "tw-replay-exit-"));
    expect(cli(["replay", join(d, "nothing-here")]).status).toBe(1);
    expect(cli(["replay", "--format", "xml", d]).status).toBe(2);
    expect(cli(["replay", "--since", "yesterday", d]).status).toBe(2);
    writeFileSync(join(d, "rules.yml"), "rules:\n  - name: x\n    route: nowhere\n");
    const bad = cli(["replay", "--rules", join(d, "rules.yml"), FIXTURES]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain(`rules.yml:3: rules[0].route: must be a Slack channel id`);
  });
});

describe("chains and digests in replay output", () => {
  const cli = trailwatchCli;
  const at = (s: number) => new Date(Date.UTC(2026, 10, 20, 9, 0, s));
  const iso = (s: number) => at(s).toISOString().replace(/\.000Z$/, "Z");
  const writeLog = (records: Record<string, unknown>[]) => {
    const d = mkdtempSync(join(tmpdir(), "tw-replay-group-"));
    // One {"Records":[…]} file, in CloudTrail's own shape, records in time order as CloudTrail writes them.
    writeFileSync(join(d, "123456789012_CloudTrail_us-east-1_20261120T0900Z_x.json.gz"), gzipSync(JSON.stringify({ Records: records })));
    return d;
  };
  type JsonLine = { type: string; eventName?: string; group?: string | null; [k: string]: unknown };
  const jsonLines = (stdout: string) => stdout.trim().split("\n").map((l) => JSON.parse(l) as JsonLine);

  // The console deletes a role as a burst of calls; another principal deletes a user meanwhile.
  function consoleRoleDeletion(): { dir: string; ids: string[] } {
    const role = { roleName: "app" };
    const steps: [string, Record<string, unknown>][] = [
      ["RemoveRoleFromInstanceProfile", { ...role, instanceProfileName: "app-profile" }],
      ["DetachRolePolicy", { ...role, policyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" }],
      ["DeleteRolePolicy", { ...role, policyName: "inline" }],
      ["DeleteRolePermissionsBoundary", role],
      ["DeleteRole", role],
    ];
    const records = steps.map(([eventName, requestParameters], i) => iamRecord({ eventName, requestParameters, eventTime: at(i * 5) }));
    records.splice(2, 0, iamRecord({ eventName: "DeleteUser", requestParameters: { userName: "bob" }, eventTime: at(7), identity: ASSUMED_DEPLOYER }));
    return { dir: writeLog(records), ids: records.map((r) => String(r.eventID)) };
  }

  test("a console-style role deletion is one chain: each step's line names it, the summary lists it once", () => {
    const { dir } = consoleRoleDeletion();
    const res = cli(["replay", dir]);
    expect(res.status).toBe(0);
    const [body = "", summary = ""] = res.stdout.split("\n\n");
    const lines = body.split("\n");
    expect(lines).toHaveLength(6);
    expect(lines.map((l) => [l.split(/ +/)[2], /group=(\S+)$/.exec(l)?.[1] ?? null])).toEqual([
      ["RemoveRoleFromInstanceProfile", "chain#1"],
      ["DetachRolePolicy", "chain#1"],
      ["DeleteUser", null],
      ["DeleteRolePolicy", "chain#1"],
      ["DeleteRolePermissionsBoundary", "chain#1"],
      ["DeleteRole", "chain#1"],
    ]);
    const s = summary.trim().split("\n");
    expect(s[0]).toMatch(/^Summary: 6 alerts /);
    expect(s.slice(1)).toEqual([
      "Chains and digests: 1 chain, 0 digests.",
      `  chain#1     CRITICAL  ${iso(0)} to ${iso(20)}  by arn:aws:iam::123456789012:user/alice  on role app  5 events: DeleteRole 1, DeleteRolePermissionsBoundary 1, DeleteRolePolicy 1, DetachRolePolicy 1, RemoveRoleFromInstanceProfile 1`,
    ]);
  });

  test("--format json: the chain on each alert, one group object, and counts in the summary", () => {
    const { dir, ids } = consoleRoleDeletion();
    const res = cli(["replay", "--format", "json", dir]);
    expect(res.status).toBe(0);
    const objs = jsonLines(res.stdout);
    const alerts = objs.filter((o) => o.type === "alert");
    expect(alerts.map((o) => [o.eventId, o.group])).toEqual(ids.map((id, i) => [id, i === 2 ? null : "chain#1"]));
    expect(alerts[0]?.groupId).toBe(`chain:${ids[0]}`);
    expect(objs.filter((o) => o.type === "group")).toEqual([
      {
        type: "group",
        group: "chain#1",
        groupId: `chain:${ids[0]}`,
        kind: "chain",
        severity: "critical",
        actor: "arn:aws:iam::123456789012:user/alice",
        actors: 1,
        accountId: "123456789012",
        root: { type: "role", name: "app" },
        events: 5,
        byEvent: { RemoveRoleFromInstanceProfile: 1, DetachRolePolicy: 1, DeleteRolePolicy: 1, DeleteRolePermissionsBoundary: 1, DeleteRole: 1 },
        firstEventTime: at(0).toISOString(),
        lastEventTime: at(20).toISOString(),
      },
    ]);
    expect(objs.at(-1)).toMatchObject({ type: "summary", alerts: 6, chains: 1, digests: 0 });
  });

  // 12 users deleted by one actor within 110 s (more than DIGEST_THRESHOLD=10 within DIGEST_WINDOW=2m),
  // and a lone role deletion by someone else ten minutes earlier.
  function storm(): { dir: string; ids: string[] } {
    const records = [iamRecord({ eventName: "DeleteRole", requestParameters: { roleName: "old" }, eventTime: at(0), identity: ASSUMED_DEPLOYER })];
    for (let i = 0; i < 12; i++) records.push(iamRecord({ eventName: i % 4 === 3 ? "DeleteLoginProfile" : "DeleteUser", requestParameters: { userName: `u${i}` }, eventTime: at(600 + i * 10) }));
    return { dir: writeLog(records), ids: records.map((r) => String(r.eventID)) };
  }

  test("more than 10 deletions by one actor in 2 minutes are one digest, from its very first event", () => {
    const { dir } = storm();
    const res = cli(["replay", dir]);
    expect(res.status).toBe(0);
    const [body = "", summary = ""] = res.stdout.split("\n\n");
    const lines = body.split("\n");
    expect(lines).toHaveLength(13);
    expect(lines[0]).not.toContain("group=");
    expect(lines.slice(1).every((l) => l.endsWith("  group=digest#1"))).toBe(true);
    expect(summary.trim().split("\n").slice(1)).toEqual([
      "Chains and digests: 0 chains, 1 digest.",
      `  digest#1    HIGH      ${iso(600)} to ${iso(710)}  by arn:aws:iam::123456789012:user/alice  12 events: DeleteUser 9, DeleteLoginProfile 3`,
    ]);

    const json = jsonLines(cli(["replay", "--format", "json", dir]).stdout);
    expect(json.filter((o) => o.type === "alert").map((o) => o.group)).toEqual([null, ...Array<string>(12).fill("digest#1")]);
    expect(json.filter((o) => o.type === "group")).toEqual([
      expect.objectContaining({ group: "digest#1", kind: "digest", severity: "high", actor: "arn:aws:iam::123456789012:user/alice", root: null, events: 12, byEvent: { DeleteUser: 9, DeleteLoginProfile: 3 }, firstEventTime: at(600).toISOString(), lastEventTime: at(710).toISOString() }),
    ]);
    expect(json.at(-1)).toMatchObject({ type: "summary", alerts: 13, chains: 0, digests: 1 });
  });

  test("DIGEST_THRESHOLD and DIGEST_WINDOW are the bot's settings: a high threshold turns digests off, a bad one is exit 2", () => {
    const { dir } = storm();
    const off = cli(["replay", dir], { DIGEST_THRESHOLD: "1000000" });
    expect(off.status).toBe(0);
    expect(off.stdout).not.toContain("digest#");
    expect(off.stdout).toContain("Summary: 13 alerts");
    const bad = cli(["replay", dir], { DIGEST_WINDOW: "soon" });
    expect(bad.status).toBe(2);
    expect(bad.stderr.trim()).toBe("trailwatch replay: DIGEST_WINDOW must be a duration such as 90s, 5m or 1h, from 1s to 1440m");
    expect(bad.stdout).toBe("");
  });

  test("an S3 export of two accounts, the second's folder earlier in time: both are grouped", async () => {
    const d = mkdtempSync(join(tmpdir(), "tw-replay-accounts-"));
    const accountRecords = (account: string, start: number) => {
      const identity = { type: "IAMUser", principalId: `AIDA${account}`, arn: `arn:aws:iam::${account}:user/ops`, accountId: account, userName: "ops" };
      const t = (s: number) => new Date(start + s * 1000);
      const recs = [
        iamRecord({ eventName: "DetachRolePolicy", requestParameters: { roleName: "app", policyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" }, eventTime: t(0), identity }),
        iamRecord({ eventName: "DeleteRole", requestParameters: { roleName: "app" }, eventTime: t(5), identity }),
        ...Array.from({ length: 12 }, (_, i) => iamRecord({ eventName: "DeleteUser", requestParameters: { userName: `u${i}` }, eventTime: t(3600 + i * 5), identity })),
      ];
      return recs.map((r) => ({ ...r, recipientAccountId: account }));
    };
    const write = (account: string, start: number) => {
      const day = join(d, "AWSLogs", account, "CloudTrail", "us-east-1", "2026", "11", "01");
      mkdirSync(day, { recursive: true });
      writeFileSync(join(day, `${account}_CloudTrail_us-east-1_x.json.gz`), gzipSync(JSON.stringify({ Records: accountRecords(account, start) })));
    };
    write("111111111111", Date.UTC(2026, 11, 20)); // read first, a month later
    write("222222222222", Date.UTC(2026, 10, 20));
    const grouper = new ReplayGrouper({ chainWindowMs: 5 * 60_000, digestThreshold: 10, digestWindowMs: 2 * 60_000 });
    const r = await run([d], { grouper });
    expect(r.alerts).toHaveLength(28);
    for (const account of ["111111111111", "222222222222"]) {
      const labels = r.alerts.filter((a) => a.event.accountId === account).map((a) => a.group?.label ?? null);
      expect(labels).toEqual([expect.stringMatching(/^chain#/), labels[0], ...Array<unknown>(12).fill(expect.stringMatching(/^digest#/))]);
    }
    expect(grouper.counts()).toEqual({ chain: 2, digest: 2 });
  });

  test("memory stays bounded: alerts are printed as event time moves on, and closed groups are forgotten", () => {
    const grouper = new ReplayGrouper({ chainWindowMs: 5 * 60_000, digestThreshold: 10, digestWindowMs: 2 * 60_000 });
    const rules = noRules;
    let printed = 0;
    let maxHeld = 0;
    let maxOpen = 0;
    const start = Date.UTC(2026, 10, 1);
    // Two days of deletions, one every 20 s, by a few actors on a few roles: chains and digests keep forming.
    for (let i = 0; i < 8640; i++) {
      const identity = i % 3 === 0 ? ASSUMED_DEPLOYER : undefined;
      const ev = normalizeRecord(iamRecord({ eventName: "DeleteRole", requestParameters: { roleName: `r${i % 7}` }, eventTime: new Date(start + i * 20_000), ...(identity ? { identity } : {}) }));
      const d = decide(ev);
      if (!d.alert) throw new Error("expected an alert");
      printed += grouper.push({ event: ev, decision: d, ruled: applyRules(ev, d, rules), file: "x", record: i + 1 }).length;
      maxHeld = Math.max(maxHeld, grouper.stateSize().held);
      maxOpen = Math.max(maxOpen, grouper.stateSize().open);
    }
    // Held: at most the alerts of DIGEST_WINDOW + CHAIN_WINDOW (7 min = 21 alerts) plus one.
    expect(maxHeld).toBeLessThanOrEqual(22);
    expect(maxOpen).toBeLessThan(100);
    expect(printed).toBeGreaterThan(8640 - 25);
    expect(printed + grouper.flush().length).toBe(8640);
  });
});
