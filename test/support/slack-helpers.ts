// Readers for messages and blocks captured by the fake Slack or built by the Block Kit builders, and the
// button click a user makes on a message: one copy each for every test file.
import type { FakeSlack, SlackMessage } from "../fakes/slack.js";
import { blockActionPayload, sendBlockAction } from "../fakes/slack-request.js";

/** The value of the button with this action_id in a message (throws when there is none). */
export function buttonValue(m: SlackMessage, actionId: string): string {
  for (const b of (m.blocks ?? []) as { elements?: { action_id?: string; value?: string }[] }[]) {
    const hit = b.elements?.find((e) => e.action_id === actionId);
    if (hit?.value) return hit.value;
  }
  throw new Error(`no ${actionId} button in message ${m.ts}`);
}

/** Every button in blocks: section accessories and actions elements, in block order. */
export function buttonsIn(blocks: readonly unknown[]): { action_id: string; value?: string }[] {
  const out: { action_id: string; value?: string }[] = [];
  for (const b of blocks as Record<string, unknown>[]) {
    const acc = b.accessory as { type?: string; action_id: string; value?: string } | undefined;
    if (acc?.type === "button") out.push(acc);
    if (Array.isArray(b.elements)) for (const e of b.elements as { type?: string; action_id: string; value?: string }[]) if (e.type === "button") out.push(e);
  }
  return out;
}

/** The texts Slack displays: every mrkdwn and plain_text object, in order; never a button's value. */
export function visibleTexts(blocks: unknown): string[] {
  const out: string[] = [];
  const walk = (v: unknown): void => {
    if (Array.isArray(v)) v.forEach(walk);
    else if (typeof v === "object" && v !== null) {
      const o = v as Record<string, unknown>;
      if ((o.type === "mrkdwn" || o.type === "plain_text") && typeof o.text === "string") out.push(o.text);
      else for (const [k, x] of Object.entries(o)) if (k !== "value") walk(x);
    }
  };
  walk(blocks);
  return out;
}

/** A message's fallback text and its blocks as JSON: for "does it mention X anywhere" checks. */
export const allText = (m: { text?: string | undefined; blocks?: unknown }): string => `${m.text ?? ""}\n${JSON.stringify(m.blocks ?? [])}`;

/** Not a thread reply (a parent with replies has thread_ts === ts). */
export const isTopLevel = (m: SlackMessage): boolean => !m.thread_ts || m.thread_ts === m.ts;

/** The top-level messages of a channel, in channel order. */
export const topLevel = (slack: FakeSlack, channel: string): SlackMessage[] => slack.messages(channel).filter(isTopLevel);

/** The event id an alert message carries in its metadata, if any. */
export const alertEventId = (m: { metadata?: { event_payload?: unknown } | undefined }): string | undefined => {
  const id = (m.metadata?.event_payload as { event_id?: unknown } | undefined)?.event_id;
  return typeof id === "string" ? id : undefined;
};

/** The event id of an alert message (throws for a message that carries none). */
export function eventIdOf(m: SlackMessage): string {
  const id = alertEventId(m);
  if (id === undefined) throw new Error(`message ${m.ts} carries no event id`);
  return id;
}

/** The message as Slack holds it now (after updates). */
export const current = (slack: FakeSlack, m: SlackMessage): SlackMessage => slack.message(m.channel, m.ts) as SlackMessage;

/** The texts of the ephemeral messages a user was shown. */
export const ephemeralsFor = (slack: FakeSlack, user: string): string[] => slack.ephemerals.filter((e) => e.user === user).map((e) => e.text ?? "");

/** `user` clicks the button `actionId` (carrying `value`) on message `msg`, as Slack delivers it to `eventsUrl`. */
export function clickButton(eventsUrl: string, signingSecret: string, user: string, actionId: string, value: string, msg: SlackMessage): ReturnType<typeof sendBlockAction> {
  return sendBlockAction(eventsUrl, signingSecret, blockActionPayload({ userId: user, actionId, value, channelId: msg.channel, messageTs: msg.ts }));
}
