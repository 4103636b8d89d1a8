// Account notices: one message per episode, a recovery message, and account names (set by whoever administers
// an account in the organization) escaped like any other untrusted text. The episodes and the messages live in
// the store (the health notices' episodes and outbox), so a restart or a failover between replicas neither posts
// an episode's notice twice nor forgets its recovery, and a Slack failure delays a notice without losing it.
// Stubbed WebClient, real SQLite store; the failover between replicas on PostgreSQL is in test/store/store.test.ts
// (it shares that file's cluster).
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { FAILURES_BEFORE_NOTICE } from "../../src/accounts/notices.js";
import { KyselyStore } from "../../src/store/kysely.js";
import {
  assumeDenied as denied,
  hostileAccount as account,
  NOTICE_TEST_CHANNEL as CHANNEL,
  noticeInstance as instance,
  openAccountEpisodes,
  pollOk as ok,
  pollThrottled as throttled,
  sandboxAccount as other,
  shownText as shown,
  testClock as clock,
  type StubPost as Post,
} from "../support/notices.js";

const tempDb = () => join(mkdtempSync(join(tmpdir(), "tw-acct-notices-")), "t.db");

describe("account notices", () => {
  test("a refused AssumeRole posts at once, once per episode, then a recovery; names are escaped", async () => {
    const store = await KyselyStore.openSqlite(":memory:");
    const c = clock();
    const { slack, notices } = instance(store, c);
    await notices.update(account, denied(1));
    c.advance(60_000);
    await notices.update(account, denied(2));
    expect(slack.posts).toHaveLength(1);
    const problem = slack.posts[0] as Post;
    expect(problem.channel).toBe(CHANNEL);
    expect(problem.text).toMatch(/^:warning: trailwatch cannot watch AWS account /);
    for (const t of [problem.text, shown(problem)]) {
      expect(t).toContain("&lt;!channel&gt;");
      expect(t).not.toContain("<!channel>");
      expect(t).not.toContain("<https://evil");
      expect(t).toContain("`444455556666`");
    }
    expect(shown(problem)).toContain("AccessDenied");
    expect(shown(problem)).toContain("arn:aws:iam::444455556666:role/trailwatch");
    expect((await openAccountEpisodes(store)).map((e) => e.scope)).toEqual([account.scope]);

    await notices.update(account, ok);
    expect(slack.posts).toHaveLength(2);
    expect(slack.posts[1]?.text).toMatch(/watches AWS account .* again \(it could not since <!date\^1796119200\^/);
    expect(await openAccountEpisodes(store)).toEqual([]);
    await notices.update(account, ok);
    expect(slack.posts).toHaveLength(2);
    // A new episode is a new notice.
    await notices.update(account, denied(1));
    expect(slack.posts).toHaveLength(3);
    await store.close();
  });

  test("other failures open an episode after several polls; the own account is left to the health model", async () => {
    const store = await KyselyStore.openSqlite(":memory:");
    const c = clock();
    const { slack, notices, notifier } = instance(store, c);
    for (let i = 1; i < FAILURES_BEFORE_NOTICE; i++) await notices.update(account, throttled(i));
    expect(slack.posts).toHaveLength(0);
    await notices.update(account, throttled(FAILURES_BEFORE_NOTICE));
    expect(slack.posts).toHaveLength(1);
    expect(shown(slack.posts[0] as Post)).toContain(`Its last ${FAILURES_BEFORE_NOTICE} polls failed: \`ThrottlingException: Rate exceeded\``);
    await notices.update({ ...account, own: true, scope: "default" }, throttled(10));
    // The health notices' own sync leaves the account's episode alone: no recovery until the account recovers.
    await notifier.sync();
    expect(slack.posts).toHaveLength(1);
    expect(await openAccountEpisodes(store)).toHaveLength(1);
    await store.close();
  });

  test("Slack refusing the notice loses nothing: the notifier's sync posts it later, once", async () => {
    const store = await KyselyStore.openSqlite(":memory:");
    const c = clock();
    const { slack, notices, notifier } = instance(store, c);
    slack.state.down = true;
    await notices.update(account, denied(1));
    await notices.update(account, denied(2));
    expect(slack.state.refused).toBe(1);
    expect(slack.posts).toHaveLength(0);
    // Later polls do not queue it again; the health timer's sync retries after the notifier's backoff.
    slack.state.down = false;
    c.advance(1_000);
    await notifier.sync();
    await notices.update(account, denied(3));
    await notifier.sync();
    expect(slack.posts.map((p) => p.text)).toEqual([expect.stringMatching(/cannot watch AWS account/)]);
    expect(await store.pendingNotices(10)).toEqual([]);
  });

  test("two accounts failing in the same tick, and the health sync beside them: each notice posted once", async () => {
    const store = await KyselyStore.openSqlite(":memory:");
    const c = clock();
    const { slack, notices, notifier } = instance(store, c);
    await Promise.all([notices.update(account, denied(1)), notices.update(other, denied(1)), notifier.sync()]);
    await notifier.drain();
    expect(slack.posts.map((p) => shown(p)).filter((t) => t.includes("`444455556666`"))).toHaveLength(1);
    expect(slack.posts.map((p) => shown(p)).filter((t) => t.includes("`777788889999`"))).toHaveLength(1);
    expect(slack.posts).toHaveLength(2);
  });

  test("a restart during an episode: the notice is not posted again, and the recovery is posted with the episode's start", async () => {
    const path = tempDb();
    const c = clock();
    const first = await KyselyStore.openSqlite(path);
    const before = instance(first, c);
    await before.notices.update(account, denied(1));
    expect(before.slack.posts).toHaveLength(1);
    await first.close();

    c.advance(5 * 60_000);
    const second = await KyselyStore.openSqlite(path);
    const after = instance(second, c);
    // A new process counts failures from zero: the episode is still the stored one.
    for (let i = 1; i <= FAILURES_BEFORE_NOTICE + 1; i++) await after.notices.update(account, throttled(i));
    await after.notices.update(account, denied(FAILURES_BEFORE_NOTICE + 2));
    await after.notifier.sync();
    expect(after.slack.posts).toHaveLength(0);
    await after.notices.update(account, ok);
    expect(after.slack.posts.map((p) => p.text)).toEqual([expect.stringMatching(/watches AWS account .* again \(it could not since <!date\^1796119200\^/)]);
    await second.close();
  });

  test("a restart before Slack took the notice: the new process posts it, once", async () => {
    const path = tempDb();
    const c = clock();
    const first = await KyselyStore.openSqlite(path);
    const before = instance(first, c);
    before.slack.state.down = true;
    await before.notices.update(account, denied(1));
    expect(before.slack.posts).toHaveLength(0);
    await first.close();

    const second = await KyselyStore.openSqlite(path);
    const after = instance(second, c);
    await after.notices.update(account, denied(1));
    await after.notifier.sync();
    expect(after.slack.posts.map((p) => p.text)).toEqual([expect.stringMatching(/cannot watch AWS account/)]);
    await second.close();
  });
});
