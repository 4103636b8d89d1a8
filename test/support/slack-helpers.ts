// Small readers for messages captured by the fake Slack.
import type { SlackMessage } from "../fakes/slack.js";

/** The value of the button with this action_id in a message (throws when there is none). */
export function buttonValue(m: SlackMessage, actionId: string): string {
  for (const b of (m.blocks ?? []) as { elements?: { action_id?: string; value?: string }[] }[]) {
    const hit = b.elements?.find((e) => e.action_id === actionId);
    if (hit?.value) return hit.value;
  }
  throw new Error(`no ${actionId} button in message ${m.ts}`);
}
