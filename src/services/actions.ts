// The record of actions: every click, submission and command, refused or not, is stored and logged.
import type { ActionRecord } from "../store/types.js";
import type { ServiceDeps } from "./deps.js";

export type NewAction = Omit<ActionRecord, "id" | "at">;

/** Stores the action (at the service clock's now) and logs it as "action recorded". */
export async function recordAction(deps: Pick<ServiceDeps, "store" | "logger" | "now">, a: NewAction): Promise<void> {
  await deps.store.recordAction({ ...a, at: deps.now() });
  deps.logger.info({ actor: a.actor, action: a.action, eventId: a.alertEventId, requestId: a.requestId, result: a.result }, "action recorded");
}
