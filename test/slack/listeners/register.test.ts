// The wiring: every button, form and the command is registered behind the authorization middleware, under the
// ids the messages carry; a click and a command run through the chain as Bolt runs it.
import type { App } from "@slack/bolt";
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import { ActionIds, CallbackIds } from "../../../src/slack/action-ids.js";
import { NOT_ALLOWED, WORKING } from "../../../src/slack/listeners/commands.js";
import { registerListeners } from "../../../src/slack/listeners/index.js";
import { buttonArgs, CHANNEL, ephemerals, listenerHarness, OUTSIDER, recordedLines, RESPONDER, seedAlert, type Harness } from "../../support/slack-listeners.js";

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
  test("every button, form and the command has the authorization middleware before its listener; Home its own check", () => {
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
      "command /iam-audit",
    ];
    expect([...routes.keys()].sort()).toEqual([...guarded, "event app_home_opened"].sort());
    for (const r of guarded) expect(routes.get(r), r).toHaveLength(2);
  });

  test("a click goes through the chain: an outsider is refused, a responder acknowledges", async () => {
    const alert = await seedAlert(h.store, { eventName: "DeleteRole", requestParameters: { roleName: "r" } });
    await run(`action ${ActionIds.acknowledge}`, buttonArgs(h.web, { user: OUTSIDER, value: alert.eventId }));
    await run(`action ${ActionIds.acknowledge}`, buttonArgs(h.web, { user: RESPONDER, value: alert.eventId }));
    expect(ephemerals(h.client).map((e) => e.user)).toEqual([OUTSIDER]);
    expect(await recordedLines(h.store)).toEqual([`${OUTSIDER} acknowledge refused`, `${RESPONDER} acknowledge ok`]);
  });

  test("a command goes through the chain: an outsider is refused in the ack, a responder gets the answer", async () => {
    const use = (user: string) => {
      const ack = vi.fn(() => Promise.resolve());
      const respond = vi.fn(() => Promise.resolve());
      const command = { command: "/iam-audit", text: "log", user_id: user, channel_id: CHANNEL, response_url: "https://hooks.slack.com/commands/T1/1/x" };
      return { args: { command, body: command, ack, respond, context: {} }, ack, respond };
    };
    const outsider = use(OUTSIDER);
    await run("command /iam-audit", outsider.args);
    expect(outsider.ack).toHaveBeenCalledWith({ response_type: "ephemeral", text: NOT_ALLOWED });
    const responder = use(RESPONDER);
    await run("command /iam-audit", responder.args);
    expect(responder.ack).toHaveBeenCalledWith({ response_type: "ephemeral", text: WORKING });
    expect(JSON.stringify(responder.respond.mock.calls)).toContain(`<@${OUTSIDER}>`);
    expect(await recordedLines(h.store)).toEqual([`${OUTSIDER} iam-audit refused`, `${RESPONDER} iam-audit ok`]);
  });
});
