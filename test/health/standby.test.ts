// PostgreSQL replicas: a standby polls nothing, so CloudTrail silence is not its problem; once it leads, the
// silence counts from the moment it took the lead, not from its start.
import { describe, expect, test } from "vitest";
import { HealthModel } from "../../src/health/model.js";

describe("HealthModel standby", () => {
  test("no blind problem while standing by; counted from taking the lead afterwards", () => {
    let t = Date.parse("2026-12-01T10:00:00Z");
    const h = new HealthModel({ now: () => new Date(t), pollIntervalMs: 60_000 });
    h.registerScope("default");
    h.setStandby(true);
    t += 60 * 60_000; // an hour as a standby
    expect(h.problems()).toEqual([]);
    h.setStandby(false);
    t += 4 * 60_000;
    expect(h.problems()).toEqual([]);
    t += 60_000; // 5 minutes after taking the lead with no poll completed
    expect(h.problems().map((p) => p.code)).toEqual(["cloudtrail_blind"]);
    expect(h.problems()[0]?.since).toEqual(new Date(Date.parse("2026-12-01T11:00:00Z")));
  });
});
