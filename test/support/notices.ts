// One trailwatch instance's notice path for tests (a process, or a replica): a Notifier and AccountNotices on
// a real store, a stubbed Slack and an injected clock. One copy for the account notice tests (test/accounts) and
// the replica tests on PostgreSQL (test/store).
import type { WebClient } from "@slack/web-api";
import { ACCOUNT_EPISODE_CODE, AccountNotices, type AccountPollOutcome } from "../../src/accounts/notices.js";
import type { WatchedAccount } from "../../src/accounts/registry.js";
import { HealthModel } from "../../src/health/model.js";
import { Notifier } from "../../src/health/notices.js";
import { createLogger } from "../../src/log.js";
import type { Store } from "../../src/store/types.js";
import { visibleTexts } from "./slack-helpers.js";

export const NOTICE_TEST_CHANNEL = "CNOTICES1";

/** Two watched accounts; the first one's name tries to ping and link (Organizations names are untrusted). */
export const hostileAccount: WatchedAccount = { scope: "444455556666", id: "444455556666", name: "<!channel> <https://evil|prod>", own: false, roleArn: "arn:aws:iam::444455556666:role/trailwatch" };
export const sandboxAccount: WatchedAccount = { scope: "777788889999", id: "777788889999", name: "sandbox", own: false, roleArn: "arn:aws:iam::777788889999:role/trailwatch" };

/** Poll outcomes as AccountPollers reports them. */
export const assumeDenied = (n = 1): AccountPollOutcome => ({ ok: false, consecutiveFailures: n, assumeError: { kind: "denied", code: "AccessDenied", message: "x" } });
export const pollThrottled = (n: number): AccountPollOutcome => ({ ok: false, consecutiveFailures: n, error: "ThrottlingException: Rate exceeded" });
export const pollOk: AccountPollOutcome = { ok: true, consecutiveFailures: 0 };

export interface TestClock {
  now: () => Date;
  advance: (ms: number) => number;
}

export function testClock(start = Date.parse("2026-12-01T10:00:00Z")): TestClock {
  let t = start;
  return { now: () => new Date(t), advance: (ms: number) => (t += ms) };
}

export interface StubPost {
  channel: string;
  text: string;
  blocks: unknown[];
}

/** A stubbed Slack whose posts take a turn of the event loop (as a real call would); `state.down` refuses them. */
export function noticeSlack() {
  const posts: StubPost[] = [];
  const state = { down: false, refused: 0 };
  const client = {
    chat: {
      postMessage: async (m: StubPost) => {
        await new Promise((r) => setImmediate(r));
        if (state.down) {
          state.refused++;
          throw Object.assign(new Error("An API error occurred: service_unavailable"), { code: "slack_webapi_platform_error", data: { ok: false, error: "service_unavailable" } });
        }
        posts.push(m);
        return { ok: true, ts: `${posts.length}.000` };
      },
    },
  };
  return { client: client as unknown as WebClient, posts, state };
}

/** What the channel shows of a notice: its section text. */
export const shownText = (p: StubPost): string => visibleTexts(p.blocks).join("\n");

/** One instance on `store`: its Notifier and its AccountNotices, posting to a stubbed Slack. */
export function noticeInstance(store: Store, clock: TestClock, slack = noticeSlack()) {
  const health = new HealthModel({ now: clock.now, pollIntervalMs: 60_000 });
  const logger = createLogger("silent");
  const notifier = new Notifier({ store, health, client: slack.client, channelId: NOTICE_TEST_CHANNEL, approvers: [], logger, now: clock.now });
  return { slack, notifier, notices: new AccountNotices({ store, notifier, logger, now: clock.now }) };
}

/** The open episodes of watched accounts, as stored. */
export const openAccountEpisodes = async (store: Store) => (await store.openHealthEpisodes()).filter((e) => e.code === ACCOUNT_EPISODE_CODE);
