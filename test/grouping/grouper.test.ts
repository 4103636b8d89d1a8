import { describe, expect, test } from "vitest";
import { normalizeRecord } from "../../src/cloudtrail/normalize.js";
import { DEFAULT_GROUPING, Grouper, groupableFrom, type GroupableEvent, type GroupingSettings } from "../../src/grouping/index.js";
import type { Severity } from "../../src/domain.js";
import { iamRecord } from "../support/records.js";

const T0 = Date.parse("2026-11-20T10:00:00Z");
const ALICE = "arn:aws:sts::111122223333:assumed-role/Admin/alice";
const BOB = "arn:aws:sts::111122223333:assumed-role/Admin/bob";

let n = 0;
/** One alert as the poller would store it, through the real normaliser. */
function ev(eventName: string, params: Record<string, string>, secondsAfterT0: number, actor = ALICE, severity: Severity = "high"): GroupableEvent {
  const eventId = `ev-${++n}`;
  const rec = iamRecord({
    eventId,
    eventName,
    eventTime: new Date(T0 + secondsAfterT0 * 1000),
    requestParameters: params,
    identity: { type: "AssumedRole", arn: actor, principalId: `AROA:${actor.split("/").pop()}`, accountId: "111122223333" },
  });
  const e = normalizeRecord(rec);
  return groupableFrom({ eventId, severity, event: e, eventTime: e.eventTime });
}

/** The console's way of deleting role `name`, starting `at` seconds after T0, one step every 2 s. */
function consoleRoleDeletion(name: string, at: number, actor = ALICE): GroupableEvent[] {
  return [
    ev("RemoveRoleFromInstanceProfile", { roleName: name, instanceProfileName: name }, at, actor, "medium"),
    ev("DetachRolePolicy", { roleName: name, policyArn: "arn:aws:iam::aws:policy/ReadOnlyAccess" }, at + 2, actor, "medium"),
    ev("DeleteRolePolicy", { roleName: name, policyName: "inline" }, at + 4, actor, "medium"),
    ev("DeleteRolePermissionsBoundary", { roleName: name }, at + 6, actor, "critical"),
    ev("DeleteRole", { roleName: name }, at + 8, actor, "high"),
  ];
}

function grouper(over: Partial<GroupingSettings> = {}, nowAt = T0 + 60_000): { g: Grouper; clock: { t: number } } {
  const clock = { t: nowAt };
  return { g: new Grouper({ ...DEFAULT_GROUPING, ...over }, () => new Date(clock.t)), clock };
}

describe("deletion chains", () => {
  test("the console's role deletion is one chain rooted at the role, with the highest severity of its steps", () => {
    const { g } = grouper();
    const steps = consoleRoleDeletion("app", 0);
    const out = g.assign(steps);
    expect(new Set(out.map((a) => a.groupId)).size).toBe(1);
    expect(out.map((a) => a.opened)).toEqual([true, false, false, false, false]);
    const chain = g.group(out[0]!.groupId!)!;
    expect(chain.kind).toBe("chain");
    expect(chain.root).toEqual({ type: "role", name: "app" });
    expect(chain.memberIds).toEqual(steps.map((s) => s.id));
    expect(chain.severity).toBe("critical");
    expect(chain.firstAt.getTime()).toBe(T0);
  });

  test("the instance profile deleted after the role was emptied from it joins the role's chain", () => {
    const { g } = grouper();
    const steps = [...consoleRoleDeletion("app", 0), ev("DeleteInstanceProfile", { instanceProfileName: "app" }, 12)];
    const ids = new Set(g.assign(steps).map((a) => a.groupId));
    expect(ids.size).toBe(1);
    expect(g.group([...ids][0]!)!.root).toEqual({ type: "role", name: "app" });
  });

  test("interleaved actors on interleaved roles give one chain per actor and role", () => {
    // 15 deletions in 10 s would cross the default digest threshold in total; this test is about chains.
    const { g } = grouper({ digestThreshold: 20 });
    const a = consoleRoleDeletion("app", 0, ALICE);
    const b = consoleRoleDeletion("app", 1, BOB);
    const c = consoleRoleDeletion("web", 1.5, ALICE);
    const mixed = a.flatMap((x, i) => [x, b[i]!, c[i]!]);
    const out = g.assign(mixed);
    const byId = new Map(out.map((o) => [o.eventId, o.groupId]));
    for (const chain of [a, b, c]) expect(new Set(chain.map((x) => byId.get(x.id))).size).toBe(1);
    expect(new Set(out.map((o) => o.groupId)).size).toBe(3);
  });

  test("a chain split across two polls, the second arriving in a later batch, stays one chain", () => {
    const { g, clock } = grouper();
    const steps = consoleRoleDeletion("app", 0);
    const first = g.assign(steps.slice(0, 2));
    clock.t += 60_000;
    const second = g.assign(steps.slice(2));
    expect(new Set([...first, ...second].map((a) => a.groupId)).size).toBe(1);
    expect(second.every((a) => !a.opened)).toBe(true);
  });

  test("a step delivered late (its event time inside the chain, its arrival 15 minutes later) joins the chain", () => {
    const { g, clock } = grouper();
    const steps = consoleRoleDeletion("app", 0);
    const late = steps.splice(1, 1)[0]!; // DetachRolePolicy delivered last
    const first = g.assign(steps);
    clock.t += 15 * 60_000;
    const [again] = g.assign([late]);
    expect(again!.groupId).toBe(first[0]!.groupId);
    expect(g.group(again!.groupId!)!.memberIds).toContain(late.id);
  });

  test("steps further apart than the chain window are separate chains; a wider window joins them", () => {
    const gap = [ev("DetachRolePolicy", { roleName: "app", policyArn: "p" }, 0), ev("DeleteRole", { roleName: "app" }, 6 * 60)];
    expect(new Set(grouper().g.assign(gap).map((a) => a.groupId)).size).toBe(2);
    expect(new Set(grouper({ chainWindowMs: 10 * 60_000 }).g.assign(gap).map((a) => a.groupId)).size).toBe(1);
  });

  test("an event that names no resource stands alone", () => {
    const { g } = grouper();
    const [a] = g.assign([ev("DeleteAccountPasswordPolicy", {}, 0)]);
    expect(a).toMatchObject({ groupId: null, kind: null });
  });

  test("an alert seen again keeps its first assignment", () => {
    const { g } = grouper();
    const steps = consoleRoleDeletion("app", 0);
    g.assign(steps);
    expect(g.assign(steps)).toEqual([]);
    expect(g.groupOf(steps[0]!.id)).toMatch(/^chain:/);
  });
});

describe("routes", () => {
  test("alerts a rule routes to another channel never share a chain or digest with the alert channel's", () => {
    const { g } = grouper();
    const routed = (e: GroupableEvent): GroupableEvent => ({ ...e, route: "CTEAM0001" });
    // A storm by one actor whose first event is routed to a team channel, and a chain split the same way.
    const storm = Array.from({ length: 14 }, (_, i) => ev("DeleteUser", { userName: `u${i}` }, i * 5));
    storm[0] = routed(storm[0]!);
    storm[7] = routed(storm[7]!);
    const chain = consoleRoleDeletion("app", 0, BOB);
    chain[1] = routed(chain[1]!);
    const out = new Map(g.assign([...storm, ...chain]).map((a) => [a.eventId, a.groupId]));
    const groupOf = (e: GroupableEvent) => g.group(out.get(e.id)!)!;
    const main = groupOf(storm[1]!);
    expect(main.kind).toBe("digest");
    expect(main.memberIds).toEqual(storm.filter((_, i) => i !== 0 && i !== 7).map((e) => e.id));
    expect(main.route).toBeNull();
    // The actor is storming, so its routed events are a digest too, in their own channel.
    expect(groupOf(storm[0])).toMatchObject({ kind: "digest", route: "CTEAM0001", memberIds: [storm[0].id, storm[7].id] });
    const bobMain = groupOf(chain[0]!);
    expect(bobMain).toMatchObject({ kind: "chain", route: null, memberIds: chain.filter((_, i) => i !== 1).map((e) => e.id) });
    expect(groupOf(chain[1])).toMatchObject({ kind: "chain", route: "CTEAM0001", memberIds: [chain[1].id] });
  });
});

describe("storm digests", () => {
  const storm = (count: number, actor = ALICE, spacingS = 1, startS = 0) =>
    Array.from({ length: count }, (_, i) => ev("DeleteUser", { userName: `u${i}-${actor.slice(-3)}` }, startS + i * spacingS, actor));

  test("exactly the threshold is no digest; one more makes every event of the burst one digest", () => {
    const ten = grouper().g.assign(storm(10));
    expect(ten.every((a) => a.kind === "chain")).toBe(true);
    const { g } = grouper();
    const eleven = g.assign(storm(11));
    expect(new Set(eleven.map((a) => a.groupId)).size).toBe(1);
    expect(eleven[0]).toMatchObject({ kind: "digest", opened: true });
    const d = g.group(eleven[0]!.groupId!)!;
    expect(d.actor).toBe(ALICE);
    expect(d.memberIds).toHaveLength(11);
  });

  test("the window counts: 11 deletions spread over more than 2 minutes are no digest", () => {
    expect(grouper().g.assign(storm(11, ALICE, 13)).some((a) => a.kind === "digest")).toBe(false);
    expect(grouper({ digestWindowMs: 3 * 60_000 }).g.assign(storm(11, ALICE, 13)).every((a) => a.kind === "digest")).toBe(true);
  });

  test("many actors together cross the threshold in total: one digest over all actors", () => {
    const { g } = grouper();
    const actors = Array.from({ length: 6 }, (_, i) => `arn:aws:iam::111122223333:user/dev${i}`);
    const out = g.assign(actors.flatMap((a, i) => storm(2, a, 5, i)));
    expect(new Set(out.map((a) => a.groupId)).size).toBe(1);
    expect(g.group(out[0]!.groupId!)!.actor).toBeNull();
  });

  test("a storm arriving over several polls and out of time order stays one digest that late events join", () => {
    const { g, clock } = grouper({}, T0 + 10 * 60_000);
    const events = storm(600, ALICE, 0.3);
    // LookupEvents answers by event name, newest first: feed pages of 50 in reverse time order.
    const pages = [];
    for (let i = events.length; i > 0; i -= 50) pages.push(events.slice(Math.max(0, i - 50), i));
    const out = pages.flatMap((p) => {
      clock.t += 1000;
      return g.assign(p);
    });
    expect(out).toHaveLength(600);
    expect(new Set(out.map((a) => a.groupId)).size).toBe(1);
    clock.t += 10 * 60_000;
    const [late] = g.assign([ev("DeleteGroup", { groupName: "late" }, 100)]);
    expect(late!.groupId).toBe(out[0]!.groupId);
  });

  test("a first page of the newest events, then the rest of the storm in one batch longer than the window: still one digest", () => {
    // Seen live on a busy machine: the poller stores LookupEvents' newest page, delivery groups it, and the
    // rest (more than DIGEST_WINDOW of event time) lands before the next grouping. Taken oldest first, the
    // rest's oldest events were too far from the open digest and opened a second one.
    const { g, clock } = grouper({}, T0 + 10 * 60_000);
    const events = storm(600, ALICE, 0.3);
    const first = g.assign(events.slice(550));
    clock.t += 1000;
    const rest = g.assign(events.slice(0, 550));
    expect(new Set([...first, ...rest].map((a) => a.groupId)).size).toBe(1);
    expect([...first, ...rest].filter((a) => a.opened)).toHaveLength(1);
  });

  test("the storm's actor gets its own digest while another actor's work is unaffected", () => {
    const { g } = grouper();
    const quiet = consoleRoleDeletion("app", 10, BOB);
    const out = g.assign([...storm(30), ...quiet]);
    const byId = new Map(out.map((o) => [o.eventId, o]));
    expect(new Set(quiet.map((q) => byId.get(q.id)!.kind))).toEqual(new Set(["chain"]));
    expect(new Set(quiet.map((q) => byId.get(q.id)!.groupId)).size).toBe(1);
  });

  test("DIGEST_THRESHOLD=1000000 turns digests off: a storm becomes chains and single alerts", () => {
    const { g } = grouper({ digestThreshold: 1_000_000 });
    expect(g.digestsEnabled).toBe(false);
    expect(g.assign(storm(200)).some((a) => a.kind === "digest")).toBe(false);
  });

  test("after 200,000 alerts, ids are forgotten by age: an alert counted and then assigned is not counted twice", () => {
    const { g, clock } = grouper({}, T0);
    // Over 200,000 old standalone alerts (one a minute, no resource) fill the id memory.
    const base: GroupableEvent = { ...ev("DeleteAccountPasswordPolicy", {}, 0), root: null };
    const old = Array.from({ length: 200_001 }, (_, i): GroupableEvent => ({ ...base, id: `old-${i}`, actor: `actor-${i % 50}`, time: new Date(T0 - (200_001 - i) * 60_000) }));
    expect(g.assign(old).filter((a) => a.kind === "digest")).toEqual([]);
    // Six recent deletions by one actor are counted as they are read, and decided on a little later
    // (as `trailwatch replay` does): six is no storm, whatever the grouper forgets in between.
    const six = Array.from({ length: 6 }, (_, i) => ev("DeleteUser", { userName: `recent-${i}` }, i));
    g.observe(six);
    clock.t = T0 + 3 * 60_000;
    const out = g.assign(six);
    expect(out.map((a) => a.kind)).toEqual(Array(6).fill("chain"));
    // The old ids are gone, the recent ones kept: a second copy of a recent alert keeps its first group.
    expect(g.groupOf("old-0")).toBeUndefined();
    expect(g.assign([six[0]!])).toEqual([]);
    expect(g.groupOf(six[0]!.id)).toBe(out[0]!.groupId);
  });

  test("a restart continues the same digest from the persisted groups and recent alerts", () => {
    const first = grouper();
    const events = storm(20);
    const out = first.g.assign(events);
    const restarted = grouper();
    restarted.g.restore(first.g.openGroups(), events.map((e) => ({ event: e, groupId: first.g.groupOf(e.id) ?? null })));
    const [next] = restarted.g.assign([ev("DeleteUser", { userName: "after-restart" }, 25)]);
    expect(next!.groupId).toBe(out[0]!.groupId);
    expect(restarted.g.group(next!.groupId!)!.memberIds).toHaveLength(21);
  });

  test("groups too old for any late event are forgotten", () => {
    const { g, clock } = grouper();
    g.assign(consoleRoleDeletion("app", 0));
    expect(g.openGroups()).toHaveLength(1);
    clock.t += DEFAULT_GROUPING.lateJoinMs + DEFAULT_GROUPING.chainWindowMs + 60_000;
    g.assign([]);
    expect(g.openGroups()).toHaveLength(0);
  });
});
