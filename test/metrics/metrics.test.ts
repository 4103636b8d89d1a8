// The metrics module on its own: the METRICS_PORT server, the Slack post timer and the snapshot age gauge.
import { expect, test } from "vitest";
import { metricsRegistry, setSnapshotTakenAt, startMetricsServer, startSlackPost } from "../../src/metrics.js";
import { freePort } from "../support/ports.js";

test("METRICS_PORT serves /metrics only; Slack errors are counted by code; the snapshot age follows setSnapshotTakenAt per account", async () => {
  const port = await freePort();
  const server = await startMetricsServer(port);
  try {
    startSlackPost()();
    startSlackPost()(Object.assign(new Error("x"), { data: { error: "not_in_channel" } }));
    startSlackPost()(Object.assign(new Error("<b>"), { code: "<script>" }));
    setSnapshotTakenAt("444455556666", new Date(Date.now() - 120_000));
    setSnapshotTakenAt("default", new Date(Date.now() - 30_000));
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get("content-type")).toBe(metricsRegistry.contentType);
    const text = await res.text();
    expect(text).toMatch(/^trailwatch_slack_post_duration_seconds_count\{result="ok"\} 1$/m);
    expect(text).toMatch(/^trailwatch_slack_post_errors_total\{error="not_in_channel"\} 1$/m);
    // Error codes are label values: anything that is not a plain code is counted as "other".
    expect(text).toMatch(/^trailwatch_slack_post_errors_total\{error="other"\} 1$/m);
    // One series per account, labelled by its id ("default" for the own account while its id is unknown).
    const age = Number(/^trailwatch_snapshot_age_seconds\{account="444455556666"\} ([\d.]+)$/m.exec(text)?.[1]);
    expect(age).toBeGreaterThanOrEqual(120);
    expect(age).toBeLessThan(600);
    const own = Number(/^trailwatch_snapshot_age_seconds\{account="default"\} ([\d.]+)$/m.exec(text)?.[1]);
    expect(own).toBeGreaterThanOrEqual(30);
    expect(own).toBeLessThan(120);
    expect(text).not.toMatch(/^trailwatch_snapshot_age_seconds /m);
    expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(404);
  } finally {
    await new Promise((r) => server.close(r));
  }
});
