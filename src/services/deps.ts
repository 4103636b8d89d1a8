// What the workflow services use: the store, the clock, AWS and the configuration. Nothing from Slack: a
// service takes plain inputs (user ids, alert and request ids, parsed values) and returns a result that the
// Slack edge (src/slack/listeners) renders. Where a workflow must show something in Slack while it runs, it
// takes one of the narrow ports defined next to it, implemented at the edge.
import type { CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import type { IAMClient } from "@aws-sdk/client-iam";
import type { AccountPollers } from "../accounts/pollers.js";
import type { AccountRegistry } from "../accounts/registry.js";
import type { Config } from "../config.js";
import type { BotIdentity } from "../domain.js";
import type { Logger } from "../log.js";
import type { SnapshotFleet } from "../snapshot/fleet.js";
import type { Store } from "../store/types.js";

export interface ServiceDeps {
  config: Config;
  store: Store;
  logger: Logger;
  now: () => Date;
  iam: IAMClient;
  cloudtrail: CloudTrailClient;
  botIdentity: () => Promise<BotIdentity | null>;
  /** IAM snapshots of every watched account (restores, `/iam-audit snapshot`); absent in tests that do not need them. */
  snapshots?: SnapshotFleet | undefined;
  /** Many accounts: the watched accounts and their clients (absent in unit tests: the own account only). */
  accounts?: AccountRegistry | undefined;
  accountPollers?: AccountPollers | undefined;
}
