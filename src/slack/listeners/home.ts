// The App Home tab, rebuilt from the store every time a user opens it. The buttons on it are the alert
// buttons, so the alert listeners handle them and authorize on the server as they do everywhere.
import type { App, SlackEventMiddlewareArgs } from "@slack/bolt";
import type { HomeView } from "@slack/types";
import type { WebClient } from "@slack/web-api";
import { problemLine } from "../../health/notices.js";
import { errorFields } from "../../log.js";
import { homeSummary } from "../../services/home.js";
import { buildHomeView, HOME_MAX_ALERTS, homeErrorView, homeRestrictedView } from "../blocks/home.js";
import { validateBlocks } from "../blocks/limits.js";
import { hasRole } from "./authorize.js";
import type { ListenerDeps } from "./deps.js";

/** What the Home listener receives from Bolt (the part it uses). */
export type HomeOpenedArgs = Pick<SlackEventMiddlewareArgs<"app_home_opened">, "event"> & { client: WebClient };

export function registerHomeListener(app: App, deps: ListenerDeps): void {
  app.event("app_home_opened", (args) => onAppHomeOpened(deps, args));
}

/** The Home tab was opened: publish it (the same event fires for the Messages tab, which is left alone). */
export async function onAppHomeOpened(deps: ListenerDeps, { event, client }: HomeOpenedArgs): Promise<void> {
  if (event.tab === "messages") return;
  await publishHome(deps, client, event.user);
}

async function homeViewFor(deps: ListenerDeps): Promise<HomeView> {
  try {
    const summary = await homeSummary(deps, HOME_MAX_ALERTS);
    const health = deps.health;
    const healthLines = health ? health.model.problems().map((p) => problemLine(p, health.context)) : [];
    const view = buildHomeView({ ...summary, problems: healthLines });
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
  const allowed = await hasRole(deps, userId, "responder").catch((err: unknown) => {
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
