// The App Home tab, rebuilt from the store every time a user opens it. The buttons on it are the alert
// buttons, so the alert listeners handle them and authorize on the server as they do everywhere.
import type { App } from "@slack/bolt";
import type { HomeView } from "@slack/types";
import type { WebClient } from "@slack/web-api";
import { problemLine } from "../../health/notices.js";
import { errorFields } from "../../log.js";
import { buildHomeView, HOME_MAX_ALERTS, homeErrorView, homeRestrictedView } from "../blocks/home.js";
import { validateBlocks } from "../blocks/limits.js";
import type { ListenerDeps } from "./deps.js";

const DAY_MS = 86_400_000;

export function registerHomeListener(app: App, deps: ListenerDeps): void {
  app.event("app_home_opened", async ({ event, client }) => {
    // The same event fires for the Messages tab.
    if (event.tab !== undefined && event.tab !== "home") return;
    await publishHome(deps, client, event.user);
  });
}

export async function homeViewFor(deps: ListenerDeps): Promise<HomeView> {
  try {
    const now = deps.now();
    const [openAlerts, allTime, counts7d, lastAudit] = await Promise.all([
      deps.store.listAlerts({ status: "open", limit: HOME_MAX_ALERTS }),
      deps.store.countByStatus(new Date(0)),
      deps.store.countByStatus(new Date(now.getTime() - 7 * DAY_MS)),
      deps.store.lastAuditReport(),
    ]);
    const health = deps.health;
    const healthLines = health ? health.model.problems().map((p) => problemLine(p, health.context)) : [];
    const view = buildHomeView({ openAlerts, openTotal: allTime.open, counts7d, lastAudit, now, problems: healthLines });
    const problems = validateBlocks(view.blocks, { maxBlocks: 100 });
    if (problems.length === 0) return view;
    deps.logger.error({ problems: problems.slice(0, 10) }, "the Home tab breaks Slack's limits");
    return homeErrorView("the view breaks Slack's limits");
  } catch (err) {
    deps.logger.error(errorFields(err), "could not build the Home tab");
    return homeErrorView("the alert store could not be read");
  }
}

export async function publishHome(deps: ListenerDeps, client: WebClient, userId: string): Promise<void> {
  // Fail closed: anyone who cannot be shown to be a responder or approver right now sees only a notice.
  const allowed = await deps.auth.isResponder(userId).catch((err: unknown) => {
    deps.logger.warn({ user: userId, ...errorFields(err) }, "authorization check failed; showing the restricted Home tab");
    return false;
  });
  if (!allowed) deps.logger.info({ user: userId }, "Home tab opened by someone who is not a responder or approver; showing the notice only");
  const view = allowed ? await homeViewFor(deps) : homeRestrictedView({ membershipUnverified: deps.auth.unverifiedGroups.length > 0 });
  try {
    await client.views.publish({ user_id: userId, view });
  } catch (err) {
    deps.logger.error({ user: userId, ...errorFields(err) }, "could not publish the Home tab");
  }
}
