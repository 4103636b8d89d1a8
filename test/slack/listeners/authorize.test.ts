// The one authorization middleware: ack first, find the subject, check the role, record and tell a refusal,
// and run the listener only for someone allowed. (The slash command's way, waiting for the role before the
// ack, is tested with the command in commands.test.ts.)
import { afterEach, beforeEach, describe, expect, test, vi } from "vitest";
import type { Authorizer } from "../../../src/auth/index.js";
import { authorize, type AccessRule, type ButtonArgs } from "../../../src/slack/listeners/authorize.js";
import { APPROVER, buttonArgs, CHANNEL, ephemerals, listenerHarness, OUTSIDER, recorded, RESPONDER, withBrokenGroup, type Harness } from "../../support/slack-listeners.js";

let h: Harness;
beforeEach(async () => {
  h = await listenerHarness();
});
afterEach(async () => {
  await h.store.close();
});

function rule(o: Partial<AccessRule<ButtonArgs>> = {}): AccessRule<ButtonArgs> {
  return {
    role: "approver",
    reason: "not an approver",
    text: "Approvers only.",
    explainMembership: true,
    subject: (_deps, args) => Promise.resolve(args.action.value === "known" ? { action: "thing-do", alertEventId: null, requestId: "R1", detail: { extra: 1 }, channel: CHANNEL, alsoAllowed: "UOWNER0001" } : null),
    ...o,
  };
}

async function run(r: AccessRule<ButtonArgs>, user: string, value = "known", deps = h.deps) {
  const args = buttonArgs(h.web, { user, value });
  const next = vi.fn(() => Promise.resolve());
  await authorize(deps, r)({ ...args, next });
  return { args, next };
}

describe("authorize", () => {
  test("someone holding the role passes on to the listener after the ack; nothing is recorded", async () => {
    const { args, next } = await run(rule(), APPROVER);
    expect(args.ack).toHaveBeenCalledTimes(1);
    expect(next).toHaveBeenCalledTimes(1);
    expect(args.ack.mock.invocationCallOrder[0]).toBeLessThan(next.mock.invocationCallOrder[0] ?? 0);
    expect(await recorded(h.store)).toEqual([]);
  });

  test("someone without it is recorded as refused with the rule's reason and told privately; the listener never runs", async () => {
    const { next } = await run(rule(), RESPONDER);
    expect(next).not.toHaveBeenCalled();
    expect(ephemerals(h.client)).toEqual([{ user: RESPONDER, channel: CHANNEL, text: "Approvers only." }]);
    expect(await recorded(h.store)).toEqual([expect.objectContaining({ actor: RESPONDER, action: "thing-do", alertEventId: null, requestId: "R1", result: "refused", detail: { reason: "not an approver", extra: 1 } })]);
  });

  test("the subject may allow one more person without the role (a requester withdrawing)", async () => {
    const { next } = await run(rule(), "UOWNER0001");
    expect(next).toHaveBeenCalledTimes(1);
  });

  test("an unknown subject goes to the rule's answer, never to the listener, and is not checked or recorded", async () => {
    const unknown = vi.fn(() => Promise.resolve());
    const { next } = await run(rule({ unknown }), OUTSIDER, "unknown");
    expect(unknown).toHaveBeenCalledTimes(1);
    expect(next).not.toHaveBeenCalled();
    expect(await recorded(h.store)).toEqual([]);
  });

  test("while Slack cannot confirm a user group, a refusal says so (when the rule explains membership)", async () => {
    await run(rule(), OUTSIDER, "known", withBrokenGroup(h));
    await run(rule({ explainMembership: false }), OUTSIDER, "known", withBrokenGroup(h));
    expect(ephemerals(h.client).map((e) => e.text)).toEqual([
      "Approvers only. Slack cannot confirm user-group membership right now, so only people listed by user id may act; try again in a few minutes.",
      "Approvers only.",
    ]);
  });

  test("a rule may acknowledge and tell in its own way", async () => {
    const ack = vi.fn(() => Promise.resolve());
    const tell = vi.fn(() => Promise.resolve());
    const { args } = await run(rule({ ack, tell }), OUTSIDER);
    expect(ack).toHaveBeenCalledTimes(1);
    expect(args.ack).not.toHaveBeenCalled();
    expect(tell).toHaveBeenCalledWith(h.deps, expect.anything(), "Approvers only.");
    expect(ephemerals(h.client)).toEqual([]);
  });

  test("a role check that fails refuses (fail closed): recorded with the failure, told privately, the listener never runs", async () => {
    const broken = { ...h.deps, auth: { isApprover: () => Promise.reject(new Error("lookup exploded")), isResponder: () => Promise.reject(new Error("lookup exploded")), unverifiedGroups: [] } as unknown as Authorizer };
    const { next } = await run(rule(), APPROVER, "known", broken);
    expect(next).not.toHaveBeenCalled();
    expect(ephemerals(h.client)).toEqual([{ user: APPROVER, channel: CHANNEL, text: "Approvers only." }]);
    expect(await recorded(h.store)).toEqual([expect.objectContaining({ actor: APPROVER, result: "refused", detail: { reason: "not an approver", roleCheckFailed: "lookup exploded", extra: 1 } })]);
  });
});
