// The smallest environment readConfig accepts, and the problems it reports for a variant of it.
import { ConfigError, readConfig } from "../../src/config.js";

export const VALID_ENV = { SLACK_BOT_TOKEN: "xoxb-1-2-secretpart", SLACK_SIGNING_SECRET: "5ec2e7000000000000000000000000aa", ALERT_CHANNEL_ID: "C0123ABCD" };

/** The one-line problems readConfig reports for `env`; empty when it is valid. */
export function configProblems(env: Record<string, string>): string[] {
  try {
    readConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) return err.problems;
    throw err;
  }
  return [];
}
