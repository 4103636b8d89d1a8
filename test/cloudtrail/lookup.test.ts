// CloudTrailLookup against the fake LookupEvents endpoint: backoff on throttling with an injected sleep (no
// real waiting), AWS's clock from the Date header, and the limiter's spacing as the server receives calls.
import { CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import { afterEach, describe, expect, test } from "vitest";
import { CloudTrailLookup } from "../../src/cloudtrail/lookup.js";
import { startFakeCloudTrail, type FakeCloudTrail } from "../fakes/cloudtrail.js";

let fake: FakeCloudTrail | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

function client(url: string): CloudTrailClient {
  return new CloudTrailClient({ endpoint: url, region: "us-east-1", credentials: { accessKeyId: "x", secretAccessKey: "y" }, maxAttempts: 1 });
}

async function drain(lookup: CloudTrailLookup, start: Date, end: Date): Promise<number> {
  let n = 0;
  for await (const page of lookup.pages("EventSource", "iam.amazonaws.com", start, end)) n += page.events.length;
  return n;
}

describe("CloudTrailLookup", () => {
  test("backs off on ThrottlingException with growing pauses (injected sleep) and then succeeds", async () => {
    fake = await startFakeCloudTrail();
    fake.failNext(3, "throttle");
    const sleeps: number[] = [];
    const lookup = new CloudTrailLookup(client(fake.url), { ratePerSecond: 1.8, sleep: async (ms) => void sleeps.push(ms), random: () => 1 });
    const now = Date.now();
    expect(await drain(lookup, new Date(now - 60_000), new Date(now))).toBe(0);
    expect(sleeps).toEqual([1000, 2000, 4000]);
    expect(lookup.throttled).toBe(3);
    expect(lookup.calls).toBe(4);
  });

  test("gives up after maxAttempts and throws the throttling error", async () => {
    fake = await startFakeCloudTrail();
    fake.failNext(10, "throttle");
    const sleeps: number[] = [];
    const lookup = new CloudTrailLookup(client(fake.url), { ratePerSecond: 1.8, maxAttempts: 3, sleep: async (ms) => void sleeps.push(ms) });
    const now = Date.now();
    await expect(drain(lookup, new Date(now - 60_000), new Date(now))).rejects.toMatchObject({ name: "AwsCallError", action: "cloudtrail:LookupEvents", info: { kind: "throttled", code: "ThrottlingException" } });
    expect(sleeps).toHaveLength(2);
  });

  test("a denial is not retried", async () => {
    fake = await startFakeCloudTrail();
    fake.setDeny("User: arn:aws:sts::123456789012:assumed-role/tw/s is not authorized to perform: cloudtrail:LookupEvents with an explicit deny");
    const sleeps: number[] = [];
    const lookup = new CloudTrailLookup(client(fake.url), { sleep: async (ms) => void sleeps.push(ms) });
    const now = Date.now();
    await expect(drain(lookup, new Date(now - 60_000), new Date(now))).rejects.toMatchObject({
      name: "AwsCallError",
      info: { kind: "denied", code: "AccessDeniedException", missingPermission: "cloudtrail:LookupEvents" },
    });
    expect(sleeps).toEqual([]);
    expect(fake.calls.filter((c) => c.errorType === "AccessDeniedException")).toHaveLength(1);
  });

  test("reads AWS's clock from the Date header, errors included", async () => {
    fake = await startFakeCloudTrail({ clockOffsetMs: -30 * 60_000 });
    fake.setDeny("denied");
    const lookup = new CloudTrailLookup(client(fake.url));
    expect(lookup.clock.known).toBe(false);
    await drain(lookup, new Date(Date.now() - 60_000), new Date()).catch(() => undefined);
    expect(lookup.clock.known).toBe(true);
    expect(Math.abs(lookup.clock.skewMs + 30 * 60_000)).toBeLessThan(2000);
  });

  test("calls are spaced at the configured rate as the server receives them: never 3 in one second", async () => {
    fake = await startFakeCloudTrail();
    const now = Date.now();
    // 6 pages of one lookup: 6 calls back to back through the limiter.
    fake.addReadOnlyIamNoise(300, { start: now - 10 * 60_000, end: now - 1000 });
    const lookup = new CloudTrailLookup(client(fake.url), { ratePerSecond: 1.8 });
    // A client's first call also loads and sets up the SDK's request path, which on a busy machine can delay
    // it by more than the limiter's slack (two 556 ms intervals exceed a second by 112 ms) and let the next two arrive within one second of
    // it, a warm-up cost, not the limiter's spacing. One call first; the limit is counted over the rest.
    expect(await drain(lookup, new Date(now - 20 * 60_000), new Date(now - 15 * 60_000))).toBe(0);
    const warm = fake.calls.length;
    expect(await drain(lookup, new Date(now - 20 * 60_000), new Date(now))).toBe(300);
    expect(fake.calls).toHaveLength(warm + 6);
    expect(fake.maxCallsInAnyWindow(1000, warm)).toBeLessThanOrEqual(2);
    expect(fake.throttledCount).toBe(0);
  });

  test("refuses a rate above CloudTrail's quota", () => {
    expect(() => new CloudTrailLookup(client("http://127.0.0.1:9"), { ratePerSecond: 2.5 })).toThrow(RangeError);
  });
});
