// The wiring: every button and form is registered behind the authorization middleware, under the ids the
// messages carry; a click runs through the chain as Bolt runs it.
import type { App } from "@slack/bolt";
import { afterEach, beforeEach, describe, expect, test } from "vitest";
import { ActionIds, CallbackIds } from "../../../src/slack/action-ids.js";
import { registerListeners } from "../../../src/slack/listeners/index.js";
import { buttonArgs, ephemerals, listenerHarness, OUTSIDER, recordedLines, RESPONDER, seedAlert, type Harness } from "../../support/slack-listeners.js";

type Handler = (args: Record<string, unknown>) => Promise<void>;
let h: Harness;
let routes: Map<string, Handler[]>;

beforeEach(async () => {
  h = await listenerHarness();
  routes = new Map();
  const on = (kind: string) => (id: string, ...fns: Handler[]) => routes.set(`${kind} ${id}`, fns);
  const app = { action: on("action"), view: on("view"), command: on("command"), event: on("event"), error: () => undefined } as unknown as App;
  registerListeners(app, h.deps);
});
afterEach(async () => {
  await h.store.close();
});

/** Runs a route's middleware and listener in order, each getting `next`, as Bolt does. */
async function run(route: string, args: object): Promise<void> {
  const fns = routes.get(route) ?? [];
  let i = 0;
  const next = async (): Promise<void> => {
    const fn = fns[i++];
    if (fn) await fn({ ...args, next });
  };
  await next();
}

describe("registerListeners", () => {
  test("every button and form has the authorization middleware before its listener; the command and Home their own checks", () => {
    const guarded = [
      `action ${ActionIds.acknowledge}`,
      `action ${ActionIds.escalate}`,
      `action ${ActionIds.remediate}`,
      `action ${ActionIds.approveRemediation}`,
      `action ${ActionIds.rejectRemediation}`,
      `action ${ActionIds.auditRemediate}`,
      `view ${CallbackIds.escalateModal}`,
      `view ${CallbackIds.remediateModal}`,
      `view ${CallbackIds.adminConfirmModal}`,
    ];
    expect([...routes.keys()].sort()).toEqual([...guarded, "command /iam-audit", "event app_home_opened"].sort());
    for (const r of guarded) expect(routes.get(r), r).toHaveLength(2);
  });

  test("a click goes through the chain: an outsider is refused, a responder acknowledges", async () => {
    const alert = await seedAlert(h.store, { eventName: "DeleteRole", requestParameters: { roleName: "r" } });
    await run(`action ${ActionIds.acknowledge}`, buttonArgs(h.web, { user: OUTSIDER, value: alert.eventId }));
    await run(`action ${ActionIds.acknowledge}`, buttonArgs(h.web, { user: RESPONDER, value: alert.eventId }));
    expect(ephemerals(h.client).map((e) => e.user)).toEqual([OUTSIDER]);
    expect(await recordedLines(h.store)).toEqual([`${OUTSIDER} acknowledge refused`, `${RESPONDER} acknowledge ok`]);
  });
});
