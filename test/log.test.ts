// Log redaction: what lets a log reader answer or open views as the bot never reaches a log line.
import { Writable } from "node:stream";
import { describe, expect, test } from "vitest";
import { createLogger, redactSecrets } from "../src/log.js";

const RESPONSE_URL = "https://hooks.slack.com/commands/T0001/1234567/AbCdEf";
const TRIGGER = "1700000000123.123456789012.0123456789abcdef0123456789abcdef";

describe("redactSecrets", () => {
  test.each([
    ["a JSON field", `{"response_url":"${RESPONSE_URL}","token":"tok-1","trigger_id":"t-1","ok":true}`],
    ["JSON inside a JSON string", JSON.stringify({ msg: `payload ${JSON.stringify({ response_url: RESPONSE_URL.replaceAll("/", "\\/"), token: "tok-1", trigger_id: "t-1" })}` })],
    ["a form body", `token=tok-1&response_url=${encodeURIComponent(RESPONSE_URL)}&trigger_id=t-1`],
    ["free text", `posting to ${RESPONSE_URL} for ${TRIGGER}`],
  ])("scrubs %s", (_, input) => {
    const out = redactSecrets(input);
    for (const v of [RESPONSE_URL, RESPONSE_URL.replaceAll("/", "\\/"), encodeURIComponent(RESPONSE_URL), "tok-1", "t-1", TRIGGER]) expect(out).not.toContain(v);
    if (input.startsWith("{")) expect(() => JSON.parse(out) as unknown).not.toThrow();
  });

  test("leaves ordinary text alone", () => {
    const s = '{"msg":"alert posted","eventId":"e-1","channel":"C1","tokenCount":3}';
    expect(redactSecrets(s)).toBe(s);
  });
});

describe("createLogger", () => {
  test("redacts payload fields and message text at debug level", () => {
    let out = "";
    const sink = new Writable({
      write(chunk: Buffer, _enc, cb) {
        out += chunk.toString();
        cb();
      },
    });
    const logger = createLogger("debug", sink);
    logger.debug({ body: { response_url: RESPONSE_URL, trigger_id: TRIGGER, token: "tok-2" } }, "incoming");
    logger.debug(`raw body token=tok-3&response_url=${encodeURIComponent(RESPONSE_URL)}`);
    expect(out).toContain("incoming");
    for (const v of [RESPONSE_URL, encodeURIComponent(RESPONSE_URL), TRIGGER, "tok-2", "tok-3"]) expect(out).not.toContain(v);
  });
});
