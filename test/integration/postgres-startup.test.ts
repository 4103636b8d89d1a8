// DATABASE_URL=postgres://… that cannot be reached: the process stops with one line naming the database
// (host, port, name) and never the password.
import { expect, test } from "vitest";
import { runApp } from "../support/app-process.js";
import { startHarness } from "../support/harness.js";
import { freePort } from "../support/ports.js";

test("an unreachable PostgreSQL stops start-up with one line and no password", async () => {
  const h = await startHarness();
  try {
    const dbPort = await freePort(); // nothing listens there
    const app = runApp(h.env({ PORT: String(await freePort()), DATABASE_URL: `postgres://tw:SECRETpw@127.0.0.1:${dbPort}/trailwatch` }));
    expect(await app.exited).toBe(1);
    const lines = app.stderr().split("\n").filter((l) => l.startsWith("trailwatch:"));
    expect(lines).toEqual([expect.stringContaining(`trailwatch: cannot connect to the PostgreSQL database postgres://127.0.0.1:${dbPort}/trailwatch: `)]);
    expect(app.stderr() + JSON.stringify(app.logs)).not.toContain("SECRET");
  } finally {
    await h.close();
  }
}, 60_000);
