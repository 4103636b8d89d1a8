// The CloudTrail fake, driven by the real AWS SDK v3 client: proves it speaks the JSON 1.1 wire format and
// follows the LookupEvents rules (one attribute, time range, MaxResults, NextToken, 2 TPS, delivery delay).
import { afterEach, describe, expect, it } from "vitest";
import {
  CloudTrailClient,
  InvalidLookupAttributesException,
  InvalidMaxResultsException,
  InvalidNextTokenException,
  InvalidTimeRangeException,
  LookupEventsCommand,
  paginateLookupEvents,
  type Event,
  type LookupAttribute,
  type LookupAttributeKey,
  type LookupEventsCommandInput,
} from "@aws-sdk/client-cloudtrail";
import {
  LOOKUP_EVENTS_TARGET,
  startFakeCloudTrail,
  type FakeCloudTrail,
  type FakeCloudTrailOptions,
} from "../fakes/cloudtrail.js";
import { freePort } from "../support/ports.js";

const T0 = Date.parse("2025-03-01T12:00:00Z");

let fake: FakeCloudTrail | undefined;
let client: CloudTrailClient | undefined;

async function start(opts: FakeCloudTrailOptions = {}): Promise<{ fake: FakeCloudTrail; client: CloudTrailClient }> {
  fake = await startFakeCloudTrail(opts);
  client = new CloudTrailClient({
    endpoint: fake.url,
    region: "us-east-1",
    credentials: { accessKeyId: "x", secretAccessKey: "y" },
    maxAttempts: 1,
  });
  return { fake, client };
}

afterEach(async () => {
  client?.destroy();
  await fake?.close();
  fake = undefined;
  client = undefined;
});

function iamRecord(eventName: string, timeMs: number, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    eventVersion: "1.08",
    userIdentity: {
      type: "IAMUser",
      principalId: "AIDAEXAMPLE",
      arn: "arn:aws:iam::123456789012:user/mallory",
      accountId: "123456789012",
      accessKeyId: "AKIAEXAMPLEKEY000001",
      userName: "mallory",
    },
    eventTime: new Date(timeMs).toISOString().replace(".000Z", "Z"),
    eventSource: "iam.amazonaws.com",
    eventName,
    awsRegion: "us-east-1",
    sourceIPAddress: "203.0.113.7",
    userAgent: "aws-cli/2.15.0",
    requestParameters: { roleName: "prod-deployer" },
    responseElements: null,
    readOnly: false,
    eventType: "AwsApiCall",
    managementEvent: true,
    recipientAccountId: "123456789012",
    ...extra,
  };
}

function attr(key: LookupAttributeKey, value: string): LookupAttribute {
  return { AttributeKey: key, AttributeValue: value };
}

async function lookupAll(c: CloudTrailClient, input: LookupEventsCommandInput, pageSize?: number): Promise<Event[]> {
  const events: Event[] = [];
  for await (const page of paginateLookupEvents({ client: c, ...(pageSize === undefined ? {} : { pageSize }) }, input)) events.push(...(page.Events ?? []));
  return events;
}

async function errorOf(promise: Promise<unknown>): Promise<Error & { $metadata?: { httpStatusCode?: number } }> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error("expected the call to fail");
}

describe("fake CloudTrail LookupEvents", () => {
  it("filters on EventName and answers in the SDK's wire format", async () => {
    const { fake, client } = await start({ ratePerSecond: false });
    fake.addEvent(iamRecord("DeleteRole", T0, { eventID: "e-delete" }));
    fake.addEvent(iamRecord("GetRole", T0 + 1000, { readOnly: true }));
    fake.addEvent(iamRecord("DeleteRole", T0 + 2000, { eventID: "e-delete-2" }));

    const out = await client.send(
      new LookupEventsCommand({ LookupAttributes: [{ AttributeKey: "EventName", AttributeValue: "DeleteRole" }] }),
    );

    expect(out.Events?.map((e) => e.EventId)).toEqual(["e-delete-2", "e-delete"]);
    expect(out.NextToken).toBeUndefined();
    const first = out.Events?.[0];
    expect(first?.EventTime).toBeInstanceOf(Date);
    expect(first?.EventTime?.getTime()).toBe(T0 + 2000);
    expect(first).toMatchObject({
      EventName: "DeleteRole",
      EventSource: "iam.amazonaws.com",
      ReadOnly: "false",
      Username: "mallory",
      AccessKeyId: "AKIAEXAMPLEKEY000001",
      Resources: [{ ResourceType: "AWS::IAM::Role", ResourceName: "prod-deployer" }],
    });
    expect(JSON.parse(first?.CloudTrailEvent ?? "")).toMatchObject({ eventID: "e-delete-2", eventName: "DeleteRole" });
    expect(fake.calls[0]).toMatchObject({
      operation: "LookupEvents",
      attributeKey: "EventName",
      attributeValue: "DeleteRole",
      hasNextToken: false,
      throttled: false,
      status: 200,
      returned: 2,
    });
  });

  it("filters on ReadOnly, Username and ResourceName; StartTime/EndTime are inclusive", async () => {
    const { fake, client } = await start({ ratePerSecond: false });
    fake.addEvent(iamRecord("DeleteRole", T0));
    fake.addEvent(iamRecord("GetRole", T0 + 1000, { readOnly: true }));
    fake.addEvent(iamRecord("DeleteRole", T0 + 2000));

    const readOnly = await lookupAll(client, { LookupAttributes: [attr("ReadOnly", "true")] });
    expect(readOnly.map((e) => e.EventName)).toEqual(["GetRole"]);

    const byUser = await lookupAll(client, { LookupAttributes: [attr("Username", "mallory")] });
    expect(byUser).toHaveLength(3);

    const byResource = await lookupAll(client, {
      LookupAttributes: [{ AttributeKey: "ResourceName", AttributeValue: "prod-deployer" }],
      StartTime: new Date(T0),
      EndTime: new Date(T0 + 1000),
    });
    expect(byResource.map((e) => e.EventTime?.getTime())).toEqual([T0 + 1000, T0]);
  });

  it("pages with paginateLookupEvents across every event, newest first", async () => {
    const { fake, client } = await start({ ratePerSecond: false });
    for (let i = 0; i < 23; i++) fake.addEvent(iamRecord("DeleteRole", T0 + i * 1000, { eventID: `e-${i}` }));

    const events = await lookupAll(client, {}, 5);

    expect(events.map((e) => e.EventId)).toEqual(Array.from({ length: 23 }, (_, i) => `e-${22 - i}`));
    expect(fake.calls).toHaveLength(5);
    expect(fake.calls.map((c) => c.hasNextToken)).toEqual([false, true, true, true, true]);
  });

  it("keeps pages stable when events arrive or become visible between pages", async () => {
    let now = T0 + 60_000;
    const { fake, client } = await start({ ratePerSecond: false, now: () => now });
    for (let i = 0; i < 6; i++) fake.addEvent(iamRecord("DeleteRole", T0 + i * 1000, { eventID: `e-${i}` }));
    fake.addEvent(iamRecord("DeleteRole", T0 + 2500, { eventID: "late" }), { deliveredAt: now + 1000 });

    const first = await client.send(new LookupEventsCommand({ MaxResults: 3 }));
    expect(first.Events?.map((e) => e.EventId)).toEqual(["e-5", "e-4", "e-3"]);

    now += 5000; // "late" is now visible, and a new event shows up in the middle of the range
    fake.addEvent(iamRecord("DeleteRole", T0 + 1500, { eventID: "new" }));
    const second = await client.send(new LookupEventsCommand({ MaxResults: 3, NextToken: first.NextToken }));
    expect(second.Events?.map((e) => e.EventId)).toEqual(["e-2", "e-1", "e-0"]);
    expect(second.NextToken).toBeUndefined();

    const fresh = await lookupAll(client, {});
    expect(fresh.map((e) => e.EventId)).toEqual(["e-5", "e-4", "e-3", "late", "e-2", "new", "e-1", "e-0"]);
  });

  it("rejects two lookup attributes with InvalidLookupAttributesException", async () => {
    const { client } = await start({ ratePerSecond: false });
    const err = await errorOf(
      client.send(
        new LookupEventsCommand({
          LookupAttributes: [
            { AttributeKey: "EventName", AttributeValue: "DeleteRole" },
            { AttributeKey: "EventSource", AttributeValue: "iam.amazonaws.com" },
          ],
        }),
      ),
    );
    expect(err).toBeInstanceOf(InvalidLookupAttributesException);
    expect(err.name).toBe("InvalidLookupAttributesException");
    expect(err.$metadata?.httpStatusCode).toBe(400);
  });

  it("validates the time range, MaxResults and NextToken", async () => {
    const { fake, client } = await start({ ratePerSecond: false });
    for (let i = 0; i < 3; i++) fake.addEvent(iamRecord("DeleteRole", T0 + i * 1000));

    const range = await errorOf(
      client.send(new LookupEventsCommand({ StartTime: new Date(T0 + 1000), EndTime: new Date(T0) })),
    );
    expect(range).toBeInstanceOf(InvalidTimeRangeException);

    expect(await errorOf(client.send(new LookupEventsCommand({ MaxResults: 51 })))).toBeInstanceOf(
      InvalidMaxResultsException,
    );
    expect(await errorOf(client.send(new LookupEventsCommand({ MaxResults: 0 })))).toBeInstanceOf(
      InvalidMaxResultsException,
    );

    const page = await client.send(new LookupEventsCommand({ MaxResults: 1 }));
    expect(page.NextToken).toBeTruthy();
    const changed = await errorOf(
      client.send(
        new LookupEventsCommand({
          MaxResults: 1,
          NextToken: page.NextToken,
          LookupAttributes: [{ AttributeKey: "EventName", AttributeValue: "DeleteRole" }],
        }),
      ),
    );
    expect(changed).toBeInstanceOf(InvalidNextTokenException);
    expect(await errorOf(client.send(new LookupEventsCommand({ NextToken: "garbage" })))).toBeInstanceOf(
      InvalidNextTokenException,
    );
  });

  it("throttles a burst above 2 calls per second with ThrottlingException", async () => {
    const { fake, client } = await start();
    const results = await Promise.allSettled(
      Array.from({ length: 5 }, () => client.send(new LookupEventsCommand({}))),
    );

    const throttled = results.filter(
      (r): r is PromiseRejectedResult => r.status === "rejected" && (r.reason as Error).name === "ThrottlingException",
    );
    expect(throttled.length).toBeGreaterThanOrEqual(1);
    expect(results.filter((r) => r.status === "fulfilled").length).toBeLessThanOrEqual(2);
    expect(fake.throttledCount).toBe(throttled.length);
    expect(fake.calls.filter((c) => c.throttled)).toHaveLength(throttled.length);
    expect((throttled[0]?.reason as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode).toBe(400);

    const raw = await fetch(fake.url, {
      method: "POST",
      headers: { "Content-Type": "application/x-amz-json-1.1", "X-Amz-Target": LOOKUP_EVENTS_TARGET },
      body: "{}",
    });
    expect(raw.status).toBe(400);
    expect(raw.headers.get("x-amzn-errortype")).toBe("ThrottlingException");
    expect(await raw.json()).toEqual({ __type: "ThrottlingException", message: "Rate exceeded" });

    await new Promise((r) => setTimeout(r, 600)); // the bucket refills at 2 per second
    await expect(client.send(new LookupEventsCommand({}))).resolves.toBeDefined();
  });

  it("hides late events until their deliveredAt on the injected clock", async () => {
    let now = T0;
    const { fake, client } = await start({ ratePerSecond: false, now: () => now });
    fake.addEvent(iamRecord("DeleteUser", T0 - 60_000, { eventID: "late" }), { deliveredAt: T0 + 5 * 60_000 });
    fake.addEvent(iamRecord("DeleteRole", T0 - 30_000, { eventID: "on-time" }));

    const before = await lookupAll(client, { StartTime: new Date(T0 - 10 * 60_000), EndTime: new Date(T0) });
    expect(before.map((e) => e.EventId)).toEqual(["on-time"]);

    now = T0 + 5 * 60_000;
    const after = await lookupAll(client, { StartTime: new Date(T0 - 10 * 60_000), EndTime: new Date(now) });
    expect(after.map((e) => e.EventId)).toEqual(["on-time", "late"]);
  });

  it("serves raw items whose CloudTrailEvent is not valid JSON", async () => {
    const { fake, client } = await start({ ratePerSecond: false });
    fake.addRawEvent({
      EventId: "broken",
      EventName: "DeleteRole",
      EventTime: T0 / 1000,
      CloudTrailEvent: "{not json",
    });

    const out = await client.send(new LookupEventsCommand({}));
    expect(out.Events).toEqual([
      { EventId: "broken", EventName: "DeleteRole", EventTime: new Date(T0), CloudTrailEvent: "{not json" },
    ]);
  });

  it("generates 20,000 read-only IAM events quickly and finds a needle among them", async () => {
    const { fake, client } = await start({ ratePerSecond: false });
    const started = performance.now();
    fake.addReadOnlyIamNoise(20_000, { start: T0 - 3_600_000, end: T0 });
    fake.addEvent(iamRecord("DeleteRole", T0 - 1_800_000, { eventID: "needle" }));
    expect(fake.eventCount).toBe(20_001);

    const window = { StartTime: new Date(T0 - 3_600_000), EndTime: new Date(T0) };
    const needle = await lookupAll(client, {
      ...window,
      LookupAttributes: [{ AttributeKey: "EventName", AttributeValue: "DeleteRole" }],
    });
    expect(needle.map((e) => e.EventId)).toEqual(["needle"]);

    const writes = await lookupAll(client, { ...window, LookupAttributes: [attr("ReadOnly", "false")] });
    expect(writes).toHaveLength(1);

    const page = await client.send(new LookupEventsCommand(window));
    expect(page.Events).toHaveLength(50);
    expect(page.Events?.every((e) => e.EventSource === "iam.amazonaws.com")).toBe(true);
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it("injects outages with failNext, and reset() clears state", async () => {
    const { fake, client } = await start({ ratePerSecond: false });
    fake.addEvent(iamRecord("DeleteRole", T0));
    fake.failNext(1, 500);
    fake.failNext(1, 503);
    fake.failNext(1, "reset");

    const e500 = await errorOf(client.send(new LookupEventsCommand({})));
    expect(e500.$metadata?.httpStatusCode).toBe(500);
    expect(e500.name).toBe("InternalFailure");
    const e503 = await errorOf(client.send(new LookupEventsCommand({})));
    expect(e503.$metadata?.httpStatusCode).toBe(503);
    const reset = await errorOf(client.send(new LookupEventsCommand({})));
    expect(reset.$metadata?.httpStatusCode).toBeUndefined();
    expect(fake.calls.map((c) => c.status)).toEqual([500, 503, null]);

    const ok = await client.send(new LookupEventsCommand({}));
    expect(ok.Events).toHaveLength(1);

    fake.reset();
    expect(fake.calls).toHaveLength(0);
    expect(fake.eventCount).toBe(0);
    expect((await client.send(new LookupEventsCommand({}))).Events).toEqual([]);
  });

  it("listens on a given port", async () => {
    const port = await freePort();
    const { fake } = await start({ port, ratePerSecond: false });
    expect(fake.port).toBe(port);
    expect(fake.url).toBe(`http://127.0.0.1:${port}`);
  });
});
