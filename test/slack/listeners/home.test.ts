// The App Home listener in process: a stubbed WebClient, an in-memory store and the real authorizer.
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { onAppHomeOpened, type HomeOpenedArgs } from "../../../src/slack/listeners/home.js";
import { callsOf, listenerHarness, OUTSIDER, RESPONDER, seedAlert, type Harness } from "../../support/slack-listeners.js";
import { auditReport } from "../../support/stored.js";

const ROLE = "billing-admin-role";
let h: Harness;

beforeEach(async () => {
  h = await listenerHarness();
  await seedAlert(h.store, { eventName: "DeleteRole", eventTime: new Date(Date.now() - 60_000), requestParameters: { roleName: ROLE } });
  await h.store.saveAuditReport(new Date(), auditReport([{ id: "root:no-mfa", check: "root-account", severity: "critical", title: "Root user has no MFA", detail: "d" }], { generatedAt: new Date() }));
});
afterEach(async () => {
  await h.store.close();
});

const opened = (user: string, tab?: "home" | "messages"): HomeOpenedArgs =>
  ({ event: { type: "app_home_opened", user, channel: "D0HOME", event_ts: "1", ...(tab ? { tab } : {}) }, client: h.web });
const published = () => callsOf(h.client.views.publish).map((p) => ({ user: p.user_id, text: JSON.stringify(p.view) }));

describe("onAppHomeOpened", () => {
  test("a responder gets open alerts and the last audit's findings", async () => {
    await onAppHomeOpened(h.deps, opened(RESPONDER, "home"));
    const [view] = published();
    expect(view?.user).toBe(RESPONDER);
    expect(view?.text).toContain(ROLE);
    expect(view?.text).toContain("Root user has no MFA");
  });

  test("the Messages tab publishes nothing", async () => {
    await onAppHomeOpened(h.deps, opened(RESPONDER, "messages"));
    expect(published()).toEqual([]);
  });

  test("someone else gets the notice only", async () => {
    await onAppHomeOpened(h.deps, opened(OUTSIDER));
    const [view] = published();
    expect(view?.text).toContain("only to responders and approvers");
    expect(view?.text).not.toContain(ROLE);
    expect(view?.text).not.toContain("Root user has no MFA");
    expect(view?.text).not.toContain("alert_acknowledge");
  });

  test("a failing authorization check shows the notice only (fail closed)", async () => {
    vi.spyOn(h.deps.auth, "isResponder").mockRejectedValue(new Error("slack down"));
    await onAppHomeOpened(h.deps, opened(RESPONDER));
    const [view] = published();
    expect(view?.text).toContain("only to responders and approvers");
    expect(view?.text).not.toContain(ROLE);
  });

  test("when the store cannot be read, a responder is told so instead of an empty Home", async () => {
    vi.spyOn(h.store, "listAlerts").mockRejectedValue(new Error("SQLITE_IOERR: disk I/O error"));
    await onAppHomeOpened(h.deps, opened(RESPONDER));
    expect(published()[0]?.text).toContain("the alert store could not be read");
  });
});
