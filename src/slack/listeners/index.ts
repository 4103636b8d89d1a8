// Registers every Slack listener. Listeners are thin: ack, authorize, call a service, render.
import type { App } from "@slack/bolt";
import type { ListenerDeps } from "./deps.js";

export function registerListeners(_app: App, _deps: ListenerDeps): void {
  // Filled in by the interactive workflow (actions, views) and /iam-audit.
}
