// Account notices: one message per episode, a recovery message, and account names (set by whoever administers
// an account in the organization) escaped like any other untrusted text.
import type { WebClient } from "@slack/web-api";
import { describe, expect, test } from "vitest";
import { AccountNotices, FAILURES_BEFORE_NOTICE } from "../../src/accounts/notices.js";
import type { WatchedAccount } from "../../src/accounts/registry.js";
import { createLogger } from "../../src/log.js";

const account: WatchedAccount = { scope: "444455556666", id: "444455556666", name: "<!channel> <https://evil|prod>", own: false, roleArn: "arn:aws:iam::444455556666:role/trailwatch" };

function notices(fail = 0) {
  const posted: string[] = [];
  let failures = fail;
  const client = {
    chat: {
      postMessage: async (m: { text: string }) => {
        if (failures-- > 0) throw new Error("slack down");
        posted.push(m.text);
        return { ok: true, ts: "1.1" };
      },
    },
  } as unknown as WebClient;
  return { posted, n: new AccountNotices({ client, channelId: "C1", logger: createLogger("silent"), now: () => new Date("2026-12-01T10:00:00Z") }) };
}

describe("account notices", () => {
  test("a refused AssumeRole posts at once, once per episode, then a recovery; names are escaped", async () => {
    const { posted, n } = notices();
    const denied = { ok: false, consecutiveFailures: 1, assumeError: { kind: "denied" as const, code: "AccessDenied", message: "x" } };
    await n.update(account, denied);
    await n.update(account, { ...denied, consecutiveFailures: 2 });
    expect(posted).toHaveLength(1);
    expect(posted[0]).toContain("&lt;!channel&gt;");
    expect(posted[0]).not.toContain("<!channel>");
    expect(posted[0]).not.toContain("<https://evil");
    expect(posted[0]).toContain("`444455556666`");
    expect(posted[0]).toContain("AccessDenied");
    expect(n.failing.has(account.scope)).toBe(true);
    await n.update(account, { ok: true, consecutiveFailures: 0 });
    expect(posted).toHaveLength(2);
    expect(posted[1]).toMatch(/watches AWS account .* again/);
    await n.update(account, { ok: true, consecutiveFailures: 0 });
    expect(posted).toHaveLength(2);
  });

  test("other failures open an episode after several polls; the own account is left to the health model; a failed post is retried", async () => {
    const { posted, n } = notices(1);
    for (let i = 1; i < FAILURES_BEFORE_NOTICE; i++) await n.update(account, { ok: false, consecutiveFailures: i, error: "ThrottlingException: Rate exceeded" });
    expect(posted).toHaveLength(0);
    await n.update(account, { ok: false, consecutiveFailures: FAILURES_BEFORE_NOTICE, error: "ThrottlingException: Rate exceeded" });
    expect(posted).toHaveLength(0); // Slack refused the first try
    await n.update(account, { ok: false, consecutiveFailures: FAILURES_BEFORE_NOTICE + 1, error: "ThrottlingException: Rate exceeded" });
    expect(posted).toHaveLength(1);
    expect(posted[0]).toContain(`Its last ${FAILURES_BEFORE_NOTICE + 1} polls failed`);
    await n.update({ ...account, own: true, scope: "default" }, { ok: false, consecutiveFailures: 10, error: "AccessDenied" });
    expect(posted).toHaveLength(1);
  });
});
