// Reads and validates every setting once, at start-up. A bad setting is reported by variable name with
// what is wrong, never with its value when the value is a secret, and start-up stops (see index.ts).
import dotenv from "dotenv";
import cron from "node-cron";
import { z } from "zod";
import {
  DEFAULT_PASSWORD_POLICY,
  IAM_DELETION_EVENT_NAMES,
  SEVERITIES,
  type IamDeletionEventName,
  type PasswordPolicyBaseline,
  type Severity,
} from "./domain.js";
import { loadAccountsFile, type AccountsConfig } from "./accounts/file.js";
import { TrailwatchError } from "./errors.js";

export interface Config {
  slack: {
    botToken: string;
    signingSecret?: string | undefined;
    appToken?: string | undefined;
    apiUrl?: string | undefined;
    /** Minimum spacing between two alert posts to the alert channel (Slack allows about 1 msg/s/channel). */
    postIntervalMs: number;
  };
  port: number;
  alertChannelId: string;
  /** Where operational notices go (cannot see CloudTrail, cannot post, clock skew, coverage); default the alert channel. */
  noticeChannelId: string;
  aws: {
    region: string;
    /** CloudTrail records IAM events in us-east-1 (commercial partition), so LookupEvents goes there. */
    cloudTrailRegion: string;
  };
  pollSchedule: string;
  lookbackMinutes: number;
  /** LookupEvents calls per second, evenly spaced (CloudTrail allows 2 per account and region, shared). */
  lookupRate: number;
  databaseUrl: string;
  /** Resolved file path for sqlite: URLs. */
  sqlitePath: string;
  /** PostgreSQL (issue 12): the postgres:// URL when DATABASE_URL names one; sqlitePath is then unused. */
  postgresUrl?: string | undefined;
  logLevel: "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";
  responders: string[];
  approvers: string[];
  escalationChannelId?: string | undefined;
  oncallUsergroupId?: string | undefined;
  remediationExpiryHours: number;
  /** Waits before re-reading IAM when a remediation's check does not see its change yet (eventual consistency). */
  verifyRetryDelaysMs: number[];
  passwordPolicy: PasswordPolicyBaseline;
  /** Poller lease on the database: how long it lasts without a heartbeat (renewed every third of it). */
  leaseTtlMs: number;
  noise: {
    muteEvents: IamDeletionEventName[];
    mutePrincipals: string[];
    minSeverity: Severity;
  };
  /** RULES_FILE: YAML rules (routing, suppression, severity, mentions), validated at start-up. */
  rulesFile?: string | undefined;
  /** IAM snapshots for restores. */
  snapshot: { schedule: string; retentionDays: number };
  /** Deletion chains and storm digests (src/grouping). */
  grouping: {
    chainWindowMs: number;
    digestThreshold: number;
    digestWindowMs: number;
  };
  /** Many accounts: which accounts are polled besides (or instead of) the bot's own. */
  accounts: AccountsConfig;
  /** Serve /metrics on this port instead of PORT (METRICS_PORT). */
  metricsPort?: number | undefined;
}

export class ConfigError extends TrailwatchError {
  constructor(readonly problems: string[]) {
    super("config-invalid", problems.join("\n"));
  }
}

/**
 * Slack signing secrets are 32 lowercase hex characters. Anything else (the `.env.example` placeholder, a
 * pasted token) would let anyone who guesses it forge requests and approvals, so start-up refuses it.
 */
const SIGNING_SECRET_FORMAT = /^[0-9a-f]{32}$/;

const SECRET_VARS = new Set(["SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN"]);

const optionalString = z
  .string()
  .trim()
  .transform((v) => (v === "" ? undefined : v))
  .optional();

/** Waits before reading IAM again when a remediation's check does not see its change yet (REMEDIATION_VERIFY_DELAYS_MS). */
export const DEFAULT_VERIFY_DELAYS_MS: readonly number[] = [1000, 3000];

const intIn = (min: number, max: number, dflt: number) =>
  z
    .string()
    .trim()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === "") return dflt;
      if (!/^\d+$/.test(v)) {
        ctx.addIssue({ code: "custom", message: `must be a whole number from ${min} to ${max}` });
        return z.NEVER;
      }
      const n = Number(v);
      if (n < min || n > max) {
        ctx.addIssue({ code: "custom", message: `must be a whole number from ${min} to ${max}` });
        return z.NEVER;
      }
      return n;
    });

/** A duration: "90s", "5m", "1h", or a whole number of seconds; bounded to [min, max] seconds. */
const durationIn = (minS: number, maxS: number, dfltS: number) =>
  z
    .string()
    .trim()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === "") return dfltS * 1000;
      const m = /^(\d+)\s*(s|m|h)?$/.exec(v);
      const seconds = m ? Number(m[1]) * (m[2] === "h" ? 3600 : m[2] === "m" ? 60 : 1) : NaN;
      if (!(seconds >= minS && seconds <= maxS)) {
        ctx.addIssue({ code: "custom", message: `must be a duration such as 90s, 5m or 1h, from ${minS}s to ${maxS / 60}m` });
        return z.NEVER;
      }
      return seconds * 1000;
    });

const slackIdList = (prefixes: string) =>
  z
    .string()
    .optional()
    .transform((v, ctx) => {
      const items = (v ?? "")
        .split(",")
        .map((s) => s.trim())
        .filter((s) => s !== "");
      const re = new RegExp(`^[${prefixes}][A-Z0-9]{2,}$`);
      const bad = items.filter((s) => !re.test(s));
      if (bad.length > 0) {
        ctx.addIssue({
          code: "custom",
          message: `must be a comma-separated list of Slack user ids (U…/W…) or user group ids (S…); not valid: ${bad.join(", ")}`,
        });
        return z.NEVER;
      }
      return items;
    });

const channelId = z.string().trim().regex(/^[CGD][A-Z0-9]{2,}$/, "must be a Slack channel id such as C0123456789");

const boolean = (dflt: boolean) =>
  z
    .string()
    .trim()
    .optional()
    .transform((v, ctx) => {
      if (v === undefined || v === "") return dflt;
      if (/^(true|1|yes)$/i.test(v)) return true;
      if (/^(false|0|no)$/i.test(v)) return false;
      ctx.addIssue({ code: "custom", message: "must be true or false" });
      return z.NEVER;
    });

const schema = z
  .object({
    SLACK_BOT_TOKEN: z
      .string({ error: "is required" })
      .trim()
      .min(1, "is required")
      .refine((v) => v.startsWith("xoxb-"), "must be a bot token starting with xoxb-"),
    SLACK_SIGNING_SECRET: optionalString.refine(
      (v) => v === undefined || SIGNING_SECRET_FORMAT.test(v),
      "must be the app's signing secret, 32 lowercase hexadecimal characters (Basic Information -> App Credentials); placeholders are refused",
    ),
    SLACK_APP_TOKEN: optionalString.refine((v) => v === undefined || v.startsWith("xapp-"), "must be an app-level token starting with xapp-"),
    SLACK_API_URL: optionalString.refine((v) => v === undefined || /^https?:\/\/[^\s]+$/.test(v), "must be an http(s) URL"),
    SLACK_POST_INTERVAL_MS: intIn(0, 60_000, 1100),
    PORT: intIn(1, 65535, 3000),
    ALERT_CHANNEL_ID: z.string({ error: "is required" }).trim().min(1, "is required").pipe(channelId),
    AWS_REGION: optionalString.refine((v) => v === undefined || /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d+$/.test(v), "must be an AWS region such as us-east-1"),
    CLOUDTRAIL_LOOKUP_REGION: optionalString.refine((v) => v === undefined || /^[a-z]{2}(-gov|-iso[a-z]*)?-[a-z]+-\d+$/.test(v), "must be an AWS region such as us-east-1"),
    POLL_SCHEDULE: optionalString.refine((v) => v === undefined || cron.validate(v), "must be a valid cron expression (5 fields, or 6 with seconds)"),
    LOOKBACK_MINUTES: intIn(1, 1440, 20),
    LOOKUP_RATE: z
      .string()
      .trim()
      .optional()
      .transform((v, ctx) => {
        if (v === undefined || v === "") return 1.5;
        const n = /^\d+(\.\d+)?$/.test(v) ? Number(v) : NaN;
        // Above 1.8 ordinary jitter (100 ms) lets CloudTrail see 3 calls in one second (its quota is 2).
        if (!(n >= 0.1 && n <= 1.8)) {
          ctx.addIssue({ code: "custom", message: "must be a number of calls per second from 0.1 to 1.8 (CloudTrail allows 2, shared by the account)" });
          return z.NEVER;
        }
        return n;
      }),
    DATABASE_URL: optionalString.refine(
      (v) => v === undefined || v.startsWith("sqlite:") || isPostgresUrl(v),
      "must be a sqlite: URL such as sqlite:./data/trailwatch.db or a postgres://user:pass@host:port/db URL",
    ),
    LOG_LEVEL: z
      .enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"], { error: "must be one of fatal, error, warn, info, debug, trace, silent" })
      .optional(),
    RESPONDERS: slackIdList("UWS"),
    APPROVERS: slackIdList("UWS"),
    ESCALATION_CHANNEL_ID: optionalString.pipe(channelId.optional()),
    NOTICE_CHANNEL_ID: optionalString.pipe(channelId.optional()),
    ONCALL_USERGROUP_ID: optionalString.refine((v) => v === undefined || /^S[A-Z0-9]{2,}$/.test(v), "must be a Slack user group id such as S0123456789"),
    REMEDIATION_EXPIRY_HOURS: intIn(1, 24 * 30, 24),
    REMEDIATION_VERIFY_DELAYS_MS: z
      .string()
      .trim()
      .optional()
      .transform((v, ctx) => {
        if (v === undefined || v === "") return [...DEFAULT_VERIFY_DELAYS_MS];
        const parts = v.split(",").map((p) => p.trim());
        if (parts.length > 5 || !parts.every((p) => /^\d+$/.test(p) && Number(p) <= 30_000)) {
          ctx.addIssue({ code: "custom", message: "must be 1 to 5 comma-separated waits in milliseconds, each at most 30000 (for example 1000,3000)" });
          return z.NEVER;
        }
        return parts.map(Number);
      }),
    PASSWORD_POLICY_MIN_LENGTH: intIn(8, 128, DEFAULT_PASSWORD_POLICY.minimumPasswordLength),
    PASSWORD_POLICY_REUSE_PREVENTION: intIn(1, 24, DEFAULT_PASSWORD_POLICY.passwordReusePrevention),
    PASSWORD_POLICY_MAX_AGE_DAYS: intIn(1, 1095, DEFAULT_PASSWORD_POLICY.maxPasswordAgeDays),
    PASSWORD_POLICY_REQUIRE_SYMBOLS: boolean(true),
    MUTE_EVENTS: z
      .string()
      .optional()
      .transform((v, ctx) => {
        const items = (v ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "");
        const known = new Set<string>(IAM_DELETION_EVENT_NAMES);
        const bad = items.filter((s) => !known.has(s));
        if (bad.length > 0) {
          ctx.addIssue({ code: "custom", message: `lists events that are not IAM deletion events: ${bad.join(", ")}` });
          return z.NEVER;
        }
        return items as IamDeletionEventName[];
      }),
    MUTE_PRINCIPALS: z
      .string()
      .optional()
      .transform((v) => (v ?? "").split(",").map((s) => s.trim()).filter((s) => s !== "")),
    MIN_SEVERITY: z.enum(SEVERITIES, { error: `must be one of ${SEVERITIES.join(", ")}` }).optional(),
    RULES_FILE: optionalString,
    SNAPSHOT_SCHEDULE: optionalString.refine((v) => v === undefined || cron.validate(v), "must be a valid cron expression (5 fields, or 6 with seconds)"),
    SNAPSHOT_RETENTION_DAYS: intIn(1, 3650, 90),
    // One poller per database (src/lease)
    LEASE_TTL_SECONDS: intIn(2, 3600, 60),
    CHAIN_WINDOW: durationIn(1, 24 * 3600, 5 * 60),
    DIGEST_THRESHOLD: intIn(1, 1_000_000, 10),
    DIGEST_WINDOW: durationIn(1, 24 * 3600, 2 * 60),
    // Many accounts and metrics (issue 12).
    ACCOUNTS_FILE: optionalString,
    ORG_ROLE_NAME: optionalString.refine((v) => v === undefined || /^[\w+=,.@-]{1,64}$/.test(v), "must be an IAM role name such as trailwatch (no ARN, no path)"),
    ORG_REFRESH_MINUTES: intIn(5, 1440, 60),
    INCLUDE_OWN_ACCOUNT: boolean(true),
    METRICS_PORT: z
      .string()
      .trim()
      .optional()
      .transform((v, ctx) => {
        if (v === undefined || v === "") return undefined;
        const n = Number(v);
        if (!/^\d+$/.test(v) || n < 1 || n > 65535) {
          ctx.addIssue({ code: "custom", message: "must be a port number from 1 to 65535" });
          return z.NEVER;
        }
        return n;
      }),
  });

/** Every variable readConfig reads (documented one by one in .env.example and the README). */
export const CONFIG_VARIABLES: readonly string[] = Object.keys(schema.shape);

/** Parses the environment into a Config, or throws ConfigError with one line per bad variable. */
export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = schema.safeParse(env);
  // Checked outside the schema so it is reported together with every other problem.
  const modeProblem =
    !env.SLACK_APP_TOKEN?.trim() && !env.SLACK_SIGNING_SECRET?.trim()
      ? ["SLACK_SIGNING_SECRET is required in HTTP mode (or set SLACK_APP_TOKEN to use Socket Mode)"]
      : [];
  const accounts = parsed.success ? accountsConfig(parsed.data) : { problems: [] };
  if (!parsed.success || modeProblem.length > 0 || accounts.problems.length > 0) {
    const issues = parsed.success ? [] : parsed.error.issues;
    const problems = issues.map((issue) => {
      const variable = String(issue.path[0] ?? "configuration");
      // zod messages never include the input value; the variable name tells the operator where to look.
      const msg = issue.code === "invalid_type" ? "is required" : issue.message;
      return `${variable} ${msg}${SECRET_VARS.has(variable) ? " (value not shown)" : ""}`;
    });
    throw new ConfigError([...new Set([...problems, ...modeProblem, ...accounts.problems])]);
  }
  const e = parsed.data;
  const databaseUrl = e.DATABASE_URL ?? "sqlite:./data/trailwatch.db";
  const sqlitePath = databaseUrl.replace(/^sqlite:(\/\/)?/, "") || ":memory:";
  const postgresUrl = isPostgresUrl(databaseUrl) ? databaseUrl : undefined;
  return {
    slack: {
      botToken: e.SLACK_BOT_TOKEN,
      signingSecret: e.SLACK_SIGNING_SECRET,
      appToken: e.SLACK_APP_TOKEN,
      // Normalised once so every Slack client gets the same base URL form.
      apiUrl: e.SLACK_API_URL?.replace(/\/?$/, "/"),
      postIntervalMs: e.SLACK_POST_INTERVAL_MS,
    },
    port: e.PORT,
    alertChannelId: e.ALERT_CHANNEL_ID,
    noticeChannelId: e.NOTICE_CHANNEL_ID ?? e.ALERT_CHANNEL_ID,
    aws: {
      region: e.AWS_REGION ?? "us-east-1",
      cloudTrailRegion: e.CLOUDTRAIL_LOOKUP_REGION ?? "us-east-1",
    },
    pollSchedule: e.POLL_SCHEDULE ?? "* * * * *",
    lookbackMinutes: e.LOOKBACK_MINUTES,
    lookupRate: e.LOOKUP_RATE,
    databaseUrl,
    sqlitePath,
    ...(postgresUrl ? { postgresUrl } : {}),
    logLevel: e.LOG_LEVEL ?? "info",
    responders: e.RESPONDERS,
    // Approvers may do everything responders may.
    approvers: e.APPROVERS,
    escalationChannelId: e.ESCALATION_CHANNEL_ID,
    oncallUsergroupId: e.ONCALL_USERGROUP_ID,
    remediationExpiryHours: e.REMEDIATION_EXPIRY_HOURS,
    verifyRetryDelaysMs: e.REMEDIATION_VERIFY_DELAYS_MS,
    passwordPolicy: {
      ...DEFAULT_PASSWORD_POLICY,
      minimumPasswordLength: e.PASSWORD_POLICY_MIN_LENGTH,
      passwordReusePrevention: e.PASSWORD_POLICY_REUSE_PREVENTION,
      maxPasswordAgeDays: e.PASSWORD_POLICY_MAX_AGE_DAYS,
      requireSymbols: e.PASSWORD_POLICY_REQUIRE_SYMBOLS,
    },
    leaseTtlMs: e.LEASE_TTL_SECONDS * 1000,
    noise: {
      muteEvents: e.MUTE_EVENTS,
      mutePrincipals: e.MUTE_PRINCIPALS,
      minSeverity: e.MIN_SEVERITY ?? "low",
    },
    rulesFile: e.RULES_FILE,
    snapshot: { schedule: e.SNAPSHOT_SCHEDULE ?? "0 * * * *", retentionDays: e.SNAPSHOT_RETENTION_DAYS },
    grouping: {
      chainWindowMs: e.CHAIN_WINDOW,
      digestThreshold: e.DIGEST_THRESHOLD,
      digestWindowMs: e.DIGEST_WINDOW,
    },
    accounts: accounts.config as AccountsConfig,
    metricsPort: e.METRICS_PORT,
  };
}

/** ACCOUNTS_FILE or ORG_ROLE_NAME (not both), read and validated now so a bad file stops start-up. */
function accountsConfig(e: z.infer<typeof schema>): { config?: AccountsConfig; problems: string[] } {
  const includeOwnAccount = e.INCLUDE_OWN_ACCOUNT;
  const problems: string[] = [];
  if (e.METRICS_PORT !== undefined && e.METRICS_PORT === e.PORT) problems.push("METRICS_PORT must differ from PORT (leave it empty to serve /metrics on PORT)");
  if (e.ACCOUNTS_FILE && e.ORG_ROLE_NAME) return { problems: [...problems, "ACCOUNTS_FILE and ORG_ROLE_NAME cannot both be set: choose a list of accounts or discovery"] };
  if (e.ACCOUNTS_FILE) {
    const loaded = loadAccountsFile(e.ACCOUNTS_FILE);
    return { config: { includeOwnAccount, source: "file", path: e.ACCOUNTS_FILE, entries: loaded.entries }, problems: [...problems, ...loaded.problems] };
  }
  if (e.ORG_ROLE_NAME) return { config: { includeOwnAccount, source: "organizations", roleName: e.ORG_ROLE_NAME, refreshMinutes: e.ORG_REFRESH_MINUTES }, problems };
  if (!includeOwnAccount) problems.push("INCLUDE_OWN_ACCOUNT=false needs ACCOUNTS_FILE or ORG_ROLE_NAME: otherwise no account is watched");
  return { config: { includeOwnAccount, source: "own" }, problems };
}

/**
 * For entry points (the bot, the doctor): loads `.env` (the environment wins), reads the configuration, and on
 * a bad setting prints one line per problem and exits with code 2. Secret values are never printed.
 */
export function readConfigOrExit(env: NodeJS.ProcessEnv = process.env): Config {
  dotenv.config({ quiet: true, processEnv: env });
  try {
    return readConfig(env);
  } catch (err) {
    if (err instanceof ConfigError) {
      for (const line of err.problems) process.stderr.write(`trailwatch: configuration error: ${line}\n`);
      process.exit(2);
    }
    throw err;
  }
}

/**
 * CHAIN_WINDOW, DIGEST_THRESHOLD and DIGEST_WINDOW alone, validated as the bot validates them: for offline
 * tools (`trailwatch replay`) that group alerts like the bot but must not need its Slack or AWS settings.
 */
export function readGroupingConfig(env: NodeJS.ProcessEnv = process.env): Config["grouping"] {
  const parsed = schema.pick({ CHAIN_WINDOW: true, DIGEST_THRESHOLD: true, DIGEST_WINDOW: true }).safeParse(env);
  if (!parsed.success) throw new ConfigError(parsed.error.issues.map((i) => `${String(i.path[0] ?? "configuration")} ${i.message}`));
  return { chainWindowMs: parsed.data.CHAIN_WINDOW, digestThreshold: parsed.data.DIGEST_THRESHOLD, digestWindowMs: parsed.data.DIGEST_WINDOW };
}

/** postgres:// or postgresql:// with a host and a database name (what pg and the PostgreSQL tools accept). */
export function isPostgresUrl(v: string): boolean {
  if (!/^postgres(ql)?:\/\//.test(v)) return false;
  try {
    const u = new URL(v);
    return u.hostname !== "" && u.pathname.length > 1;
  } catch {
    return false;
  }
}
