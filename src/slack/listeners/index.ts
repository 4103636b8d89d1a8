// Registers every Slack listener. Listeners are thin: ack, authorize, call a service, render.
import type { App } from "@slack/bolt";
import { errorFields } from "../../log.js";
import { registerAlertListeners } from "./alerts.js";
import { registerAuditRemediationListener } from "./audit-remediation.js";
import { registerCommandListeners } from "./commands.js";
import { registerHomeListener } from "./home.js";
import type { ListenerDeps } from "./deps.js";
import { registerRemediationListeners } from "./remediation.js";

export function registerListeners(app: App, deps: ListenerDeps): void {
  registerAlertListeners(app, deps);
  registerRemediationListeners(app, deps);
  registerCommandListeners(app, deps);
  registerAuditRemediationListener(app, deps);
  registerHomeListener(app, deps);
  app.error((error) => {
    deps.logger.error(errorFields(error), "unhandled error in a Slack listener");
    return Promise.resolve();
  });
}
