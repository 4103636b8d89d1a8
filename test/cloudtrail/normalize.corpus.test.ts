// Runs the normaliser and the alert decision over every real CloudTrail record in test/fixtures/cloudtrail
// (see its SOURCES.md): nothing may throw, every record must normalise, and the number of alerts per
// file must match what inspecting the data shows.
import { existsSync, readFileSync, readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { gunzipSync } from "node:zlib";
import { describe, expect, test } from "vitest";
import { normalizeLookupEvent, normalizeRecord } from "../../src/cloudtrail/normalize.js";
import type { LookupEventInput } from "../../src/cloudtrail/normalize.js";
import { LIMITS, MAX_RESOURCES } from "../../src/cloudtrail/normalize-values.js";
import { decide } from "../../src/detect/index.js";
import type { IamEvent } from "../../src/domain.js";

const CORPUS_URL = new URL("../fixtures/cloudtrail/", import.meta.url);
const CORPUS_DIR = fileURLToPath(CORPUS_URL);

interface Expected {
  records: number;
  /** IAM deletion alerts, by outcome. */
  success: number;
  denied: number;
  failed: number;
}

// Counts found by inspecting the files (eventSource iam.amazonaws.com + one of the 30 deletion names).
const EXPECTED: Record<string, Expected> = {
  // 39 Terraform / Stratus clean-up deletions + 3 DeleteLoginProfile NoSuchEntityException
  "invictus-ir-aws_dataset.jsonl.gz": { records: 713, success: 39, denied: 0, failed: 3 },
  // DeleteLoginProfile EntityTemporarilyUnmodifiableException
  "stratus-red-team-detonation-logs.jsonl.gz": { records: 163, success: 0, denied: 0, failed: 1 },
  // DeleteGroupPolicy (ok), DeleteGroupPolicy (NoSuchEntity), DeleteSAMLProvider; DetachUserGroup is not an IAM API
  "panther-analysis.jsonl.gz": { records: 248, success: 2, denied: 0, failed: 1 },
  // two DeactivateMFADevice placeholder records
  "streamalert.jsonl.gz": { records: 40, success: 2, denied: 0, failed: 0 },
  "fivexl-terraform-aws-cloudtrail-to-slack.jsonl.gz": { records: 9, success: 0, denied: 0, failed: 0 },
  "trailscraper.jsonl.gz": { records: 5, success: 0, denied: 0, failed: 0 },
  "awsdocs-iam-user-guide.jsonl.gz": { records: 7, success: 0, denied: 0, failed: 0 },
  "lookup-events-aws-cli-example.jsonl": { records: 1, success: 0, denied: 0, failed: 0 },
};

function readLines(file: string): string[] {
  const buf = readFileSync(new URL(file, CORPUS_URL));
  const content = file.endsWith(".gz") ? gunzipSync(buf).toString("utf8") : buf.toString("utf8");
  return content.split("\n").filter((line) => line.trim() !== "");
}

function normalizeLine(file: string, line: string): IamEvent {
  const parsed: unknown = JSON.parse(line);
  return file.startsWith("lookup-events-") ? normalizeLookupEvent(parsed as LookupEventInput) : normalizeRecord(parsed);
}

function expectBounded(ev: IamEvent): void {
  for (const [key, max] of [
    ["eventId", LIMITS.short],
    ["eventName", LIMITS.short],
    ["eventSource", LIMITS.short],
    ["awsRegion", LIMITS.short],
    ["accountId", LIMITS.short],
    ["sourceIp", LIMITS.sourceIp],
    ["userAgent", LIMITS.userAgent],
    ["errorCode", LIMITS.short],
    ["errorMessage", LIMITS.errorMessage],
  ] as const) {
    const v = ev[key];
    if (v !== undefined) expect(v.length, key).toBeLessThanOrEqual(max);
  }
  for (const [key, v] of Object.entries(ev.actor)) {
    if (typeof v === "string") expect(v.length, `actor.${key}`).toBeLessThanOrEqual(LIMITS.arn);
  }
  expect(ev.resources.length).toBeLessThanOrEqual(MAX_RESOURCES);
  for (const r of ev.resources) {
    expect(r.value.length).toBeLessThanOrEqual(LIMITS.resourceValue);
    expect(r.kind.length).toBeLessThanOrEqual(LIMITS.short);
    expect(r.label).not.toBe("");
  }
}

test("the fixture corpus (test/fixtures/cloudtrail) is there with its sources", () => {
  expect(existsSync(new URL("SOURCES.md", CORPUS_URL))).toBe(true);
});

test("the corpus holds every file this test knows", () => {
  const files = readdirSync(CORPUS_DIR).filter((f) => f.endsWith(".jsonl") || f.endsWith(".jsonl.gz"));
  expect(files).toEqual(expect.arrayContaining(Object.keys(EXPECTED)));
});

// Files added to the corpus later still have to normalise without throwing.
const UNKNOWN_FILES = readdirSync(CORPUS_DIR).filter((f) => (f.endsWith(".jsonl") || f.endsWith(".jsonl.gz")) && !(f in EXPECTED));
test.each(UNKNOWN_FILES.length ? UNKNOWN_FILES : ["(none)"])("new corpus file %s normalises without throwing", (file) => {
  if (file === "(none)") return;
  for (const line of readLines(file)) expectBounded(normalizeLine(file, line));
});

describe.each(Object.entries(EXPECTED))("%s", (file, expected) => {
  const lines = readLines(file);

  test(`has ${expected.records} records`, () => {
    expect(lines).toHaveLength(expected.records);
  });

  test("every record normalises without throwing or a parseError, within bounds", () => {
    for (const line of lines) {
      const ev = normalizeLine(file, line);
      expect(ev.parseError, line.slice(0, 200)).toBeUndefined();
      expect(typeof ev.actor.type).toBe("string");
      expect(ev.actor.type).not.toBe("");
      expectBounded(ev);
    }
  });

  test(`alerts on ${expected.success + expected.denied + expected.failed} IAM deletions`, () => {
    const counts = { success: 0, denied: 0, failed: 0 };
    for (const line of lines) {
      const ev = normalizeLine(file, line);
      const d = decide(ev);
      if (!d.alert) continue;
      counts[d.outcome]++;
      expect(ev.eventId).not.toBe("");
      expect(ev.eventName).not.toBe("");
      expect(ev.eventSource).toBe("iam.amazonaws.com");
    }
    expect(counts).toEqual({ success: expected.success, denied: expected.denied, failed: expected.failed });
  });
});

describe("real-record shapes", () => {
  const all = (file: string): IamEvent[] => readLines(file).map((l) => normalizeLine(file, l));

  test("Panther's DetachUserGroup (not an IAM API) is seen and does not alert", () => {
    const evs = all("panther-analysis.jsonl.gz").filter((e) => e.eventName === "DetachUserGroup");
    expect(evs).toHaveLength(1);
    const ev = evs[0];
    if (ev === undefined) throw new Error("unreachable");
    expect(ev.eventSource).toBe("iam.amazonaws.com");
    expect(decide(ev)).toEqual({ alert: false, reason: "DetachUserGroup is not an IAM deletion event" });
  });

  test("other services' deletion-looking events never alert", () => {
    const names = new Set<string>();
    for (const file of Object.keys(EXPECTED)) {
      for (const ev of all(file)) {
        if (ev.eventSource !== "iam.amazonaws.com" && /^(Delete|Detach|Remove|Deactivate)/.test(ev.eventName)) {
          names.add(`${ev.eventSource} ${ev.eventName}`);
          expect(decide(ev).alert).toBe(false);
        }
      }
    }
    for (const n of [
      "s3.amazonaws.com DeleteBucket",
      "ssm.amazonaws.com DeleteParameter",
      "rds.amazonaws.com RemoveRoleFromDBInstance",
      "lambda.amazonaws.com DeleteFunction20150331",
      "ec2.amazonaws.com DetachNetworkInterface",
    ]) {
      expect(names).toContain(n);
    }
  });

  test("the Panther space-separated times parse as UTC", () => {
    const ev = all("panther-analysis.jsonl.gz").find((e) => e.eventName === "DeleteSAMLProvider");
    expect(ev?.eventTime?.toISOString()).toBe("2021-10-14T21:25:20.000Z");
    expect(ev?.client).toBe("cloudformation");
    expect(ev?.actor.roleName).toBe("ServiceRole");
  });

  test("invictus deletions: Terraform client, resources from requestParameters", () => {
    const evs = all("invictus-ir-aws_dataset.jsonl.gz").filter((e) => decide(e).alert);
    expect(evs.every((e) => e.resources.length > 0)).toBe(true);
    const detach = evs.find((e) => e.eventName === "DetachUserPolicy");
    expect(detach?.resources).toEqual([
      { kind: "policyArn", label: "Policy ARN", value: "arn:aws:iam::aws:policy/AdministratorAccess" },
      { kind: "userName", label: "User", value: "malicious-iam-user" },
    ]);
    expect(evs.filter((e) => e.client === "terraform").length).toBeGreaterThan(30);
  });

  test("streamalert placeholder records keep their '...' values and the mfa strings", () => {
    const evs = all("streamalert.jsonl.gz").filter((e) => e.eventName === "DeactivateMFADevice");
    expect(evs.map((e) => e.actor.type)).toEqual(["...", "..."]);
    expect(evs.map((e) => e.actor.mfaAuthenticated).sort()).toEqual([false, true]);
    expect(evs.every((e) => e.sourceIp === "...")).toBe(true);
  });

  test("fivexl 'null'/'true' strings become null / booleans", () => {
    const evs = all("fivexl-terraform-aws-cloudtrail-to-slack.jsonl.gz");
    const login = evs.find((e) => e.eventName === "ConsoleLogin");
    expect(login?.requestParameters).toBeNull();
    expect(login?.client).toBe("console");
    const stop = evs.find((e) => e.eventName === "StopLogging");
    expect(stop?.readOnly).toBe(false);
    expect(stop?.client).toBe("console"); // "AWS Internal" + sessionCredentialFromConsole "true"
  });

  test("the LookupEvents example: CloudTrailEvent parsed, AssumedRole actor", () => {
    const [ev] = all("lookup-events-aws-cli-example.jsonl");
    expect(ev).toMatchObject({
      eventId: "654ccbc0-ba0d-486a-9076-dbf7274677a7",
      eventName: "ConsoleLogin",
      eventSource: "signin.amazonaws.com",
      eventTime: new Date("2016-01-26T21:42:12Z"),
      client: "console",
      actor: { type: "AssumedRole", roleName: "my-role", sessionName: "my-session-name", mfaAuthenticated: false },
    });
  });
});

describe("malformed CloudTrailEvent in a LookupEvents item", () => {
  const item = JSON.parse(readLines("lookup-events-aws-cli-example.jsonl")[0] ?? "{}") as Record<string, unknown>;

  test("builds the event from the summary, sets parseError, and still alerts on an IAM deletion", () => {
    const cloudTrailEvent = String(item["CloudTrailEvent"]);
    const ev = normalizeLookupEvent({
      ...(item as LookupEventInput),
      EventName: "DeleteRole",
      EventSource: "iam.amazonaws.com",
      Resources: [{ ResourceType: "AWS::IAM::Role", ResourceName: "my-role" }],
      CloudTrailEvent: cloudTrailEvent.slice(0, cloudTrailEvent.length / 2), // truncated JSON
    });
    expect(ev.parseError).toMatch(/^CloudTrailEvent is not valid JSON/);
    expect(ev.eventId).toBe("654ccbc0-ba0d-486a-9076-dbf7274677a7");
    expect(ev.eventTime?.toISOString()).toBe("2021-11-18T17:41:02.000Z");
    expect(ev.actor.userName).toBe("my-session-name");
    expect(ev.resources).toEqual([{ kind: "AWS::IAM::Role", label: "Role", value: "my-role" }]);
    expect(decide(ev)).toMatchObject({ alert: true, eventName: "DeleteRole", outcome: "success" });
  });

  test("without EventSource iam.amazonaws.com it does not alert", () => {
    const ev = normalizeLookupEvent({ EventId: "x", EventName: "DeleteRole", CloudTrailEvent: "{" });
    expect(ev.parseError).toBeDefined();
    expect(decide(ev).alert).toBe(false);
  });
});
