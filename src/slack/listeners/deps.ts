// What every listener may use, built once in main.ts.
import type { CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import type { IAMClient } from "@aws-sdk/client-iam";
import type { WebClient } from "@slack/web-api";
import type { AccountPollers } from "../../accounts/pollers.js";
import type { AccountRegistry } from "../../accounts/registry.js";
import type { Authorizer } from "../../auth/index.js";
import type { Config } from "../../config.js";
import type { BotIdentity } from "../../domain.js";
import type { HealthModel } from "../../health/model.js";
import type { NoticeContext } from "../../health/notices.js";
import type { Logger } from "../../log.js";
import type { SnapshotService } from "../../snapshot/service.js";
import type { Store } from "../../store/types.js";

export interface ListenerDeps {
  config: Config;
  store: Store;
  logger: Logger;
  now: () => Date;
  iam: IAMClient;
  cloudtrail: CloudTrailClient;
  botIdentity: () => Promise<BotIdentity | null>;
  client: WebClient;
  auth: Authorizer;
  /** The health model (issue 8), for App Home and `/iam-audit health`; absent in tests that do not need it. */
  health?: { model: HealthModel; context: NoticeContext };
  /** IAM snapshots (restores, `/iam-audit snapshot`); absent in tests that do not need them. */
  snapshots?: SnapshotService;
  /** Many accounts: the watched accounts and their clients (absent in unit tests: the own account only). */
  accounts?: AccountRegistry;
  accountPollers?: AccountPollers;
}
