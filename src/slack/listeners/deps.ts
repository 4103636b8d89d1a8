// What every listener may use, built once in main.ts: the services' dependencies, plus the Slack client and
// the authorizer that only the edge knows about.
import type { WebClient } from "@slack/web-api";
import type { Authorizer } from "../../auth/index.js";
import type { HealthModel } from "../../health/model.js";
import type { NoticeContext } from "../../health/notices.js";
import type { ServiceDeps } from "../../services/deps.js";

export interface ListenerDeps extends ServiceDeps {
  client: WebClient;
  auth: Authorizer;
  /** The health model (issue 8), for App Home and `/iam-audit health`; absent in tests that do not need it. */
  health?: { model: HealthModel; context: NoticeContext } | undefined;
}
