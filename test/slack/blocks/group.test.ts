import { describe, expect, it } from "vitest";
import { normalizeRecord } from "../../../src/cloudtrail/normalize.js";
import type { Severity } from "../../../src/domain.js";
import type { GroupSnapshot } from "../../../src/grouping/grouper.js";
import { buildEventReplies, buildGroupMessage } from "../../../src/slack/blocks/group.js";
import { LIMITS, validateMessage } from "../../../src/slack/blocks/limits.js";
import type { AlertRecord } from "../../../src/store/types.js";
import { iamRecord } from "../../support/records.js";

const T0 = Date.parse("2026-11-20T10:00:00Z");

function alert(id: string, eventName: string, params: Record<string, string>, s: number, severity: Severity = "high"): AlertRecord {
  const ev = normalizeRecord(iamRecord({ eventId: id, eventName, eventTime: new Date(T0 + s * 1000), requestParameters: params }));
  return {
    eventId: id, eventName, severity, severityReason: "r", outcome: "success", event: ev, eventTime: ev.eventTime, detectedAt: new Date(T0),
    muted: false, delivery: "pending", postAttempts: 0, nextAttemptAt: new Date(T0), status: "open", groupId: "g",
  };
}

function snapshot(kind: "chain" | "digest", members: AlertRecord[], root: GroupSnapshot["root"] = null): GroupSnapshot {
  return {
    id: `${kind}:${members[0]!.eventId}`, kind, actor: "arn:aws:iam::123456789012:user/alice", accountId: "123456789012", root, keys: [],
    firstAt: new Date(T0), lastAt: new Date(T0), memberIds: members.map((m) => m.eventId), severity: "high", rootFromDeletion: false,
  };
}

const texts = (blocks: unknown): string => JSON.stringify(blocks);

describe("chain message", () => {
  const evil = "app<!channel>&<https://evil|x>";
  const steps = [
    alert("e1", "RemoveRoleFromInstanceProfile", { roleName: evil, instanceProfileName: evil }, 0, "medium"),
    alert("e2", "DeleteRolePermissionsBoundary", { roleName: evil }, 2, "critical"),
    alert("e3", "DeleteRole", { roleName: evil }, 4, "high"),
  ];
  const msg = buildGroupMessage(snapshot("chain", steps, { type: "role", name: evil }), steps, {});

  it("lists every step, takes the highest severity, and keeps the API names in the text", () => {
    expect((msg.blocks[0] as { text: { text: string } }).text.text).toMatch(/^🔴 CRITICAL · Deletion chain: role .* \(3 steps\)$/);
    for (const s of steps) expect(texts(msg.blocks)).toContain(`\`${s.eventName}\``);
    expect(msg.text).toMatch(/^\[CRITICAL\] Deletion chain by arn:aws:iam::123456789012:user\/alice: RemoveRoleFromInstanceProfile, DeleteRolePermissionsBoundary, DeleteRole on role/);
    expect(msg.shownIds).toEqual(["e1", "e2", "e3"]);
  });

  it("escapes the untrusted resource name in every mrkdwn text and the fallback, and stays within limits", () => {
    // The header is plain_text: Slack shows it literally, so only mrkdwn and the fallback need escaping.
    expect(msg.blocks[0]!.type).toBe("header");
    const all = `${msg.text}${texts(msg.blocks.slice(1))}`;
    expect(all).not.toContain("<!channel>");
    expect(all).not.toContain("<https://evil");
    expect(validateMessage(msg)).toEqual([]);
  });

  it("says whether the chain's single Restore can run, only when told, escaped and before the buttons", () => {
    expect(texts(msg.blocks)).not.toContain("group_restore");
    const withLine = buildGroupMessage(snapshot("chain", steps, { type: "role", name: evil }), steps, {}, `restorable from the snapshot of 2026-11-20 09:00 UTC ${evil}`);
    const ids = withLine.blocks.map((b) => b.block_id);
    expect(ids.indexOf("group_restore")).toBeGreaterThan(ids.indexOf("group_steps"));
    expect(ids.indexOf("group_restore")).toBeLessThan(ids.indexOf("group_actions"));
    const line = texts(withLine.blocks.find((b) => b.block_id === "group_restore"));
    expect(line).toContain("*Restore:* restorable from the snapshot of 2026-11-20 09:00 UTC");
    expect(line).not.toContain("<!channel>");
    expect(validateMessage(withLine)).toEqual([]);
  });

  it("acts on its first step, which names the chain in the metadata", () => {
    expect(msg.metadata).toEqual({ event_type: "trailwatch_alert", event_payload: { event_id: "e1", group_id: "chain:e1" } });
    expect(texts(msg.blocks)).toContain('"value":"e1"');
  });

  it("shows at most 20 steps; the others are left for the thread", () => {
    const many = Array.from({ length: 30 }, (_, i) => alert(`m${i}`, "DetachRolePolicy", { roleName: "r", policyArn: `arn:aws:iam::123456789012:policy/p${i}` }, i));
    const m = buildGroupMessage(snapshot("chain", many, { type: "role", name: "r" }), many, {});
    // At most 20, and only as many whole lines as the section holds.
    expect(m.shownIds.length).toBeGreaterThan(10);
    expect(m.shownIds.length).toBeLessThanOrEqual(20);
    expect(m.shownIds).toEqual(many.slice(0, m.shownIds.length).map((x) => x.eventId));
    expect(texts(m.blocks)).toContain(`…and ${30 - m.shownIds.length} more steps in the thread`);
    expect(validateMessage(m)).toEqual([]);
  });
});

describe("digest message and its thread replies", () => {
  const ops = ["DeleteUser", "DeleteRole", "DeleteGroup"] as const;
  const param = { DeleteUser: "userName", DeleteRole: "roleName", DeleteGroup: "groupName" } as const;
  const members = Array.from({ length: 600 }, (_, i) => {
    const op = ops[i % 3]!;
    return alert(`d${i}`, op, { [param[op]]: `storm-${i}-${"x".repeat(i % 7 === 0 ? 400 : 5)}` }, i * 0.3, i === 599 ? "critical" : "high");
  });
  const msg = buildGroupMessage(snapshot("digest", members), members, {});

  it("counts per operation and resource type, names the actor, the highest severity and the time range", () => {
    const t = texts(msg.blocks);
    expect(t).toContain("Deletion storm: 600 IAM deletions by one actor");
    for (const op of ops) expect(t).toContain(`\`${op}\` × 200`);
    expect(t).toContain("`User` × 200");
    expect(t).toContain("arn:aws:iam::123456789012:user/alice");
    expect(t).toContain("CRITICAL");
    expect(t).toMatch(/from <!date\^\d+\^.*\|2026-11-20T10:00:00Z> to <!date\^\d+\^.*\|2026-11-20T10:02:59Z>/);
    expect(msg.shownIds).toEqual([]);
    expect(validateMessage(msg)).toEqual([]);
  });

  it("lists every event exactly once across replies, each reply within Block Kit limits", () => {
    const replies = buildEventReplies(members);
    expect(replies.flatMap((r) => r.ids)).toEqual(members.map((m) => m.eventId));
    expect(replies.length).toBeLessThanOrEqual(20);
    for (const r of replies) {
      expect(validateMessage({ text: r.text, blocks: r.blocks })).toEqual([]);
      expect(r.blocks.length).toBeLessThanOrEqual(LIMITS.messageBlocks);
    }
    for (const m of members.slice(0, 5)) expect(texts(replies[0]!.blocks)).toContain(`storm-${m.eventId.slice(1)}-`);
  });
});

describe("chain steps and the section limit", () => {
  it("a step that does not fit whole is not counted as shown, so it goes to the thread", () => {
    const long = "r".repeat(120);
    const many = Array.from({ length: 20 }, (_, i) => alert(`l${i}`, "DetachRolePolicy", { roleName: long, policyArn: `arn:aws:iam::123456789012:policy/${"p".repeat(100)}${i}` }, i));
    const m = buildGroupMessage(snapshot("chain", many, { type: "role", name: long }), many, {});
    expect(m.shownIds.length).toBeLessThan(20);
    const steps = (m.blocks.find((b) => b.block_id === "group_steps") as { text: { text: string } }).text.text;
    // Every shown step is a whole numbered line; nothing is cut in the middle.
    expect(steps.split("\n").filter((l) => /^\d+\. /.test(l))).toHaveLength(m.shownIds.length);
    expect(steps).not.toMatch(/…$/);
    expect(steps).toContain(`…and ${20 - m.shownIds.length} more steps in the thread`);
    expect(validateMessage(m)).toEqual([]);
  });
});

describe("rules and mentions", () => {
  it("a chain or digest carries its members' rules and pages the user groups they mention", () => {
    const members = Array.from({ length: 12 }, (_, i) => alert(`m${i}`, "DeleteUser", { userName: `u${i}` }, i));
    members[3] = { ...members[3]!, ruleName: "users to security", mentionGroup: "S0SECURITY1" };
    members[7] = { ...members[7]!, ruleName: "users to security", mentionGroup: "S0SECURITY1" };
    members[9] = { ...members[9]!, ruleName: "ops <!channel>" };
    for (const kind of ["digest", "chain"] as const) {
      const msg = buildGroupMessage(snapshot(kind, members), members, {});
      const rule = msg.blocks.find((b) => b.block_id === "group_rule") as { elements: { text: string }[] } | undefined;
      expect(rule?.elements[0]?.text).toBe("Rules: `users to security`, `ops &lt;!channel&gt;` · <!subteam^S0SECURITY1>");
      // Before the buttons, like an alert's rule line.
      expect(msg.blocks.findIndex((b) => b.block_id === "group_rule")).toBe(msg.blocks.findIndex((b) => b.type === "actions") - 1);
      expect(validateMessage(msg)).toEqual([]);
    }
    const plain = buildGroupMessage(snapshot("digest", members.slice(0, 3)), members.slice(0, 3), {});
    expect(plain.blocks.some((b) => b.block_id === "group_rule")).toBe(false);
  });
});
