// `npm run doctor`: checks the deployment as configured (same settings and .env as the bot) before
// `npm start`. Prints one line per check with ✓ or ✗, each ✗ with its fix. Exit 0 when all pass, 1 when any
// fails, 2 on a configuration error (the same one-line messages as the bot). Secrets are never printed.
import { CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import { IAMClient } from "@aws-sdk/client-iam";
import { STSClient } from "@aws-sdk/client-sts";
import { WebClient, LogLevel } from "@slack/web-api";
import { readConfigOrExit } from "../config.js";
import { recordServerDates, runDoctor, type ServerDate } from "../doctor/checks.js";
import { formatResults } from "../doctor/table.js";

const config = readConfigOrExit();

const serverDates: ServerDate[] = [];
// One attempt each: the doctor reports what it meets, it does not retry around it.
const sts = new STSClient({ region: config.aws.region, maxAttempts: 1 });
const iam = new IAMClient({ region: config.aws.region, maxAttempts: 1 });
const cloudtrail = new CloudTrailClient({ region: config.aws.cloudTrailRegion, maxAttempts: 1 });
recordServerDates(cloudtrail, "cloudtrail", serverDates);
recordServerDates(sts, "sts", serverDates);
recordServerDates(iam, "iam", serverDates);
const slack = new WebClient(config.slack.botToken, {
  ...(config.slack.apiUrl ? { slackApiUrl: config.slack.apiUrl } : {}),
  retryConfig: { retries: 0 },
  rejectRateLimitedCalls: true,
  timeout: 10_000,
  logLevel: LogLevel.ERROR,
});

process.stdout.write(`trailwatch doctor: checking the deployment as configured (alert channel ${config.alertChannelId}, region ${config.aws.region})\n\n`);
const results = await runDoctor({ config, slack, sts, iam, cloudtrail, serverDates });
process.stdout.write(formatResults(results, Math.max(80, Math.min(140, process.stdout.columns || 100))));
process.exit(results.every((r) => r.ok) ? 0 : 1);
