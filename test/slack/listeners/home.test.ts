// The App Home listener in process: a stubbed WebClient, an in-memory store and a stub authorizer.
import type { WebClient } from "@slack/web-api";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import type { Authorizer } from "../../../src/auth/index.js";
import { normalizeRecord } from "../../../src/cloudtrail/normalize.js";
import { readConfig } from "../../../src/config.js";
import { createLogger } from "../../../src/log.js";
import type { ListenerDeps } from "../../../src/slack/listeners/deps.js";
import { publishHome } from "../../../src/slack/listeners/home.js";
import { KyselyStore } from "../../../src/store/kysely.js";
import { iamRecord } from "../../support/records.js";

const ROLE = "billing-admin-role";
let store: KyselyStore;
let published: { user_id: string; view: { blocks: unknown[] } }[];

function deps(isResponder: (u: string) => Promise<boolean>): { deps: ListenerDeps; client: WebClient } {
  const client = { views: { publish: async (args: { user_id: string; view: { blocks: unknown[] } }) => (published.push(args), { ok: true }) } } as unknown as WebClient;
  const auth = { isResponder, isApprover: isResponder, unverifiedGroups: [] } as unknown as Authorizer;
  const config = readConfig({ SLACK_BOT_TOKEN: "xoxb-1", SLACK_SIGNING_SECRET: "0123456789abcdef0123456789abcdef", ALERT_CHANNEL_ID: "C1234" });
  return { deps: { config, store, logger: createLogger("silent"), now: () => new Date(), auth, client } as unknown as ListenerDeps, client };
}

beforeEach(async () => {
  published = [];
  store = await KyselyStore.openSqlite(":memory:");
  const ev = normalizeRecord(iamRecord({ eventName: "DeleteRole", eventTime: new Date(Date.now() - 60_000), requestParameters: { roleName: ROLE } }));
  await store.insertAlert({ eventId: ev.eventId, eventName: "DeleteRole", severity: "high", severityReason: "x", outcome: "success", event: ev, eventTime: ev.eventTime, muted: false }, new Date());
  await store.saveAuditReport(new Date(), { generatedAt: new Date().toISOString(), findings: [{ id: "root:no-mfa", check: "root-account", severity: "critical", title: "Root user has no MFA", detail: "d" }], errors: [] });
});
afterEach(async () => {
  await store.close();
});

describe("publishHome", () => {
  test("a responder gets open alerts and the last audit's findings", async () => {
    const { deps: d, client } = deps(async () => true);
    await publishHome(d, client, "URESP");
    const text = JSON.stringify(published[0]?.view.blocks);
    expect(published[0]?.user_id).toBe("URESP");
    expect(text).toContain(ROLE);
    expect(text).toContain("Root user has no MFA");
  });

  test("someone else, or a failing authorization check, gets the notice only", async () => {
    for (const check of [async () => false, async () => Promise.reject(new Error("slack down"))]) {
      published = [];
      const { deps: d, client } = deps(check);
      await publishHome(d, client, "USTRANGER");
      const text = JSON.stringify(published[0]?.view.blocks);
      expect(text).toContain("only to responders and approvers");
      expect(text).not.toContain(ROLE);
      expect(text).not.toContain("Root user has no MFA");
      expect(text).not.toContain("alert_acknowledge");
    }
  });
});
