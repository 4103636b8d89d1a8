// The deployment checks behind `npm run doctor`: each answers ✓ or ✗ with what it saw, and every ✗ carries
// its fix. Checks never throw; one failing check never hides the others. Nothing secret is put in a result.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import type { IAMClient } from "@aws-sdk/client-iam";
import type { STSClient } from "@aws-sdk/client-sts";
import type { WebClient } from "@slack/web-api";
import { parse as parseYaml } from "yaml";
import { classifyAwsError } from "../aws/errors.js";
import type { Config } from "../config.js";
import { PROBES, READ_GROUPS, type GatewayAction, type ProbeClients } from "./permissions.js";
import { iamGateway } from "../aws/iam-gateway.js";
import { stsGateway } from "../aws/sts-gateway.js";
import { cloudTrailGateway } from "../aws/cloudtrail-gateway.js";
import { accountChecks } from "./accounts.js";

export interface CheckResult {
  ok: boolean;
  name: string;
  detail: string;
  /** What to do about a ✗. */
  fix?: string;
}

/** A `Date` header seen on an AWS answer, with the local times the request was sent and answered. */
export interface ServerDate {
  service: string;
  date: number;
  sentAt: number;
  receivedAt: number;
}

export interface DoctorDeps {
  config: Config;
  slack: WebClient;
  sts: STSClient;
  cloudtrail: CloudTrailClient;
  iam: IAMClient;
  /** Date headers collected from AWS answers (see recordServerDates). */
  serverDates: ServerDate[];
  /** The bot scopes manifest.yml asks for. */
  manifestScopes?: string[];
}

const MAX_CLOCK_SKEW_MS = 60_000;

/** Fallback when manifest.yml is not beside the build (a copied dist/): kept equal to it by a test. */
export const MANIFEST_BOT_SCOPES: readonly string[] = ["chat:write", "channels:history", "groups:history", "commands", "usergroups:read"];

/** The bot scopes listed in manifest.yml at the repository root. */
export function manifestBotScopes(): string[] {
  try {
    const text = readFileSync(fileURLToPath(new URL("../../manifest.yml", import.meta.url)), "utf8");
    const doc = parseYaml(text) as { oauth_config?: { scopes?: { bot?: unknown } } };
    const bot = doc.oauth_config?.scopes?.bot;
    if (Array.isArray(bot) && bot.every((s) => typeof s === "string")) return bot;
  } catch {
    // not shipped with this build
  }
  return [...MANIFEST_BOT_SCOPES];
}

/** Records the `Date` header of every answer a client gets (innermost, so error answers count too). */
export function recordServerDates(
  client: { middlewareStack: { add: (...args: never[]) => unknown } },
  service: string,
  sink: ServerDate[],
): void {
  const add = client.middlewareStack.add as unknown as (
    mw: (next: (args: unknown) => Promise<{ response: unknown }>) => (args: unknown) => Promise<{ response: unknown }>,
    opts: { step: string; priority: string; name: string },
  ) => void;
  add(
    (next) => async (args) => {
      const sentAt = Date.now();
      const out = await next(args);
      const headers = (out.response as { headers?: Record<string, string | undefined> } | undefined)?.headers ?? {};
      const date = Date.parse(headers.date ?? headers.Date ?? "");
      if (!Number.isNaN(date)) sink.push({ service, date, sentAt, receivedAt: Date.now() });
      return out;
    },
    { step: "deserialize", priority: "low", name: `trailwatchServerDate-${service}` },
  );
}

const slackError = (err: unknown): string => (err as { data?: { error?: string } }).data?.error ?? (err instanceof Error ? err.message : String(err));

const REJECTED_TOKEN = new Set(["invalid_auth", "not_authed", "account_inactive", "token_revoked", "token_expired", "not_allowed_token_type"]);

async function slackToken(d: DoctorDeps): Promise<{ results: CheckResult[]; ok: boolean }> {
  try {
    const res = await d.slack.auth.test();
    const granted = res.response_metadata?.scopes;
    const results: CheckResult[] = [{ ok: true, name: "Slack token", detail: `valid: bot @${res.user ?? "?"} (${res.user_id ?? "?"}) in workspace ${res.team ?? "?"}` }];
    const wanted = d.manifestScopes ?? manifestBotScopes();
    if (!granted) {
      results.push({ ok: false, name: "Slack scopes", detail: "Slack did not report the token's scopes (no x-oauth-scopes header)", fix: "Use a bot token (xoxb-) of the app created from manifest.yml." });
    } else {
      const missing = wanted.filter((s) => !granted.includes(s));
      results.push(
        missing.length === 0
          ? { ok: true, name: "Slack scopes", detail: `all ${wanted.length} scopes of manifest.yml granted` }
          : {
              ok: false,
              name: "Slack scopes",
              detail: `missing ${missing.join(", ")}`,
              fix: `In the app's settings (api.slack.com/apps), OAuth & Permissions, add the bot token scope(s) ${missing.join(", ")} (or update the app from manifest.yml), then reinstall the app to the workspace.`,
            },
      );
    }
    return { results, ok: true };
  } catch (err) {
    const code = slackError(err);
    return {
      ok: false,
      results: [
        REJECTED_TOKEN.has(code)
          ? { ok: false, name: "Slack token", detail: `rejected by Slack (${code})`, fix: "Copy the Bot User OAuth Token (xoxb-…) from the app's OAuth & Permissions page into SLACK_BOT_TOKEN; reinstall the app if it was revoked." }
          : { ok: false, name: "Slack token", detail: `Slack not reachable: ${code}`, fix: "Check network access to Slack (proxy, firewall) and SLACK_API_URL if set." },
      ],
    };
  }
}

async function channelMembership(d: DoctorDeps, label: string, variable: string, channel: string): Promise<CheckResult> {
  const name = `${label} channel ${channel}`;
  const invite = `Invite the bot: in Slack, open the channel and type /invite @trailwatch (a private channel needs this before the bot can even see it).`;
  const notFound: CheckResult = { ok: false, name, detail: "channel not found", fix: `Check ${variable}; if the channel is private, invite the bot first. ${invite}` };
  try {
    const res = await d.slack.conversations.info({ channel });
    const c = res.channel;
    if (c?.is_archived) return { ok: false, name, detail: "the channel is archived", fix: `Unarchive it, or set ${variable} to another channel.` };
    return c?.is_member ? { ok: true, name, detail: "the bot is a member" } : { ok: false, name, detail: "the bot is not a member", fix: invite };
  } catch (err) {
    const code = slackError(err);
    if (code === "channel_not_found") return notFound;
    if (code !== "missing_scope") return { ok: false, name, detail: `could not check (${code})`, fix: "Run the doctor again; if it persists, check Slack's status." };
  }
  // conversations.info needs channels:read, which the manifest does not ask for; reading one message of
  // history (channels:history / groups:history, which it does) proves membership as well.
  try {
    await d.slack.conversations.history({ channel, limit: 1 });
    return { ok: true, name, detail: "the bot is a member (it can read the channel)" };
  } catch (err) {
    const code = slackError(err);
    if (code === "not_in_channel") return { ok: false, name, detail: "the bot is not a member (not_in_channel)", fix: invite };
    if (code === "channel_not_found") return notFound;
    if (code === "is_archived") return { ok: false, name, detail: "the channel is archived", fix: `Unarchive it, or set ${variable} to another channel.` };
    if (code === "missing_scope")
      return { ok: false, name, detail: "cannot check membership (missing_scope)", fix: "Add the channels:history (public) or groups:history (private) bot scope and reinstall the app." };
    return { ok: false, name, detail: `could not check (${code})`, fix: "Run the doctor again; if it persists, check Slack's status." };
  }
}

async function usergroups(d: DoctorDeps): Promise<CheckResult[]> {
  const { responders, approvers, oncallUsergroupId } = d.config;
  const results: CheckResult[] = [];
  if (responders.length === 0 && approvers.length === 0) {
    results.push({ ok: false, name: "RESPONDERS / APPROVERS", detail: "both empty: every button and command is refused", fix: "Set RESPONDERS and APPROVERS to Slack user ids (U…) or user group ids (S…)." });
  }
  const groups = new Map<string, string[]>();
  const note = (id: string, variable: string) => groups.set(id, [...(groups.get(id) ?? []), variable]);
  for (const id of responders) if (id.startsWith("S")) note(id, "RESPONDERS");
  for (const id of approvers) if (id.startsWith("S")) note(id, "APPROVERS");
  if (oncallUsergroupId) note(oncallUsergroupId, "ONCALL_USERGROUP_ID");
  for (const [id, variables] of groups) {
    const name = `user group ${id} (${variables.join(", ")})`;
    try {
      const res = await d.slack.usergroups.users.list({ usergroup: id });
      const n = res.users?.length ?? 0;
      results.push(
        n > 0
          ? { ok: true, name, detail: `resolves to ${n} member${n === 1 ? "" : "s"}` }
          : { ok: false, name, detail: "resolves to no members: nobody acts through it", fix: `Add people to the group in Slack, or remove ${id} from ${variables.join(" and ")}.` },
      );
    } catch (err) {
      const code = slackError(err);
      results.push({
        ok: false,
        name,
        detail: `does not resolve (${code})`,
        fix:
          code === "missing_scope"
            ? "Add the usergroups:read bot scope and reinstall the app."
            : `Check the id in ${variables.join(" and ")}: in Slack, People, User groups, open the group and copy its id (S…). A disabled group does not resolve.`,
      });
    }
  }
  return results;
}

interface Identity {
  arn: string;
  account: string;
}

async function awsIdentity(d: DoctorDeps): Promise<{ result: CheckResult; identity: Identity | null }> {
  try {
    const out = await stsGateway(d.sts).getCallerIdentity();
    const identity = { arn: out.Arn ?? "?", account: out.Account ?? "?" };
    return { result: { ok: true, name: "AWS identity", detail: `${identity.arn} (account ${identity.account})` }, identity };
  } catch (err) {
    const info = classifyAwsError(err, "sts:GetCallerIdentity");
    const noCredentials = info.code === "CredentialsProviderError" || /credential/i.test(info.message);
    return {
      identity: null,
      result: {
        ok: false,
        name: "AWS identity",
        detail: noCredentials ? "no AWS credentials found" : `sts:GetCallerIdentity failed: ${info.code}: ${info.message}`,
        fix: noCredentials
          ? "Give the bot credentials through the standard AWS chain: AWS_PROFILE (SSO or a profile), AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or an instance/task role."
          : info.kind === "denied"
            ? "The credentials are invalid or expired: renew them (aws sso login, new keys)."
            : "Check network access to STS (AWS_ENDPOINT_URL_STS if set) and AWS_REGION.",
      },
    };
  }
}

/** Attempts of the LookupEvents check when CloudTrail throttles it, and the pause between them. */
const LOOKUP_ATTEMPTS = 3;
const LOOKUP_RETRY_MS = 1_100;

/**
 * One LookupEvents call. The account's 2 calls/s are shared with every other reader (and, with many accounts, the
 * doctor checks several at once), so a throttled call is tried again after a pause: throttling says nothing about
 * the deployment. Any other failure is reported at once.
 */
export async function lookupEvents(d: DoctorDeps): Promise<CheckResult> {
  const name = "CloudTrail LookupEvents";
  for (let attempt = 1; ; attempt++) {
    const outcome = await lookupEventsOnce(d, name);
    if (outcome !== "throttled") return outcome;
    if (attempt === LOOKUP_ATTEMPTS) {
      return { ok: false, name, detail: `throttled ${LOOKUP_ATTEMPTS} times in a row`, fix: "Another reader uses the account's LookupEvents quota (2 calls/s): run the doctor again." };
    }
    await new Promise((r) => setTimeout(r, LOOKUP_RETRY_MS));
  }
}

async function lookupEventsOnce(d: DoctorDeps, name: string): Promise<CheckResult | "throttled"> {
  try {
    await cloudTrailGateway(d.cloudtrail).lookupEventsPage({ MaxResults: 1 });
    return { ok: true, name, detail: `allowed (region ${d.config.aws.cloudTrailRegion})` };
  } catch (err) {
    const info = classifyAwsError(err, "cloudtrail:LookupEvents");
    if (info.kind === "throttled") return "throttled";
    if (info.kind === "denied")
      return {
        ok: false,
        name,
        detail: `denied: the bot lacks ${info.missingPermission ?? "cloudtrail:LookupEvents"} (${info.code})`,
        fix: "Grant cloudtrail:LookupEvents (statement ReadCloudTrailEventHistory of deploy/iam-policy.json), and look for an explicit deny: an inline or attached policy, a permissions boundary or an SCP. Without it the bot sees no deletion at all.",
      };
    return { ok: false, name, detail: `failed: ${info.code}: ${info.message}`, fix: `Check network access to CloudTrail in ${d.config.aws.cloudTrailRegion} (CLOUDTRAIL_LOOKUP_REGION, AWS_ENDPOINT_URL_CLOUDTRAIL).` };
  }
}

/** The IAM principal to simulate: an assumed role's role ARN (with its path), or the user itself. */
async function principalArn(d: DoctorDeps, identity: Identity): Promise<string | null> {
  const assumed = /^arn:(aws[\w-]*):sts::(\d{12}):assumed-role\/([^/]+)\//.exec(identity.arn);
  if (assumed) {
    const role = await iamGateway(d.iam).getRole(assumed[3] ?? "");
    return role.Role?.Arn ?? null;
  }
  return /^arn:aws[\w-]*:iam::\d{12}:user\//.test(identity.arn) ? identity.arn : null;
}

/** Decision per action from IAM policy simulation, or why simulation could not be used. */
async function simulate(d: DoctorDeps, identity: Identity, actions: string[]): Promise<Map<string, boolean> | string> {
  try {
    const arn = await principalArn(d, identity);
    if (!arn) return "the identity is not an IAM user or role";
    const decisions = new Map<string, boolean>();
    for (const r of await iamGateway(d.iam).simulatePrincipalPolicy(arn, actions)) {
      if (r.EvalActionName) decisions.set(r.EvalActionName, r.EvalDecision === "allowed");
    }
    return actions.every((a) => decisions.has(a)) ? decisions : "the simulation did not answer for every action";
  } catch (err) {
    const info = classifyAwsError(err, "iam:SimulatePrincipalPolicy");
    return info.kind === "denied" ? `the bot lacks ${info.missingPermission ?? "iam:SimulatePrincipalPolicy"}` : info.code;
  }
}

type ProbeOutcome = { allowed: true } | { allowed: false; why: string } | { unknown: string };

async function probe(clients: ProbeClients, action: GatewayAction): Promise<ProbeOutcome> {
  const call = PROBES[action];
  if (!call) return { unknown: "no harmless call to test it" };
  try {
    await call(clients);
    return { allowed: true };
  } catch (err) {
    const info = classifyAwsError(err, action);
    if (info.kind === "denied") return { allowed: false, why: info.missingPermission ?? action };
    if (info.kind === "throttled" || info.kind === "transient") return { unknown: info.code };
    // Not found, a validation error or a report not yet generated: AWS authorized the call first.
    return { allowed: true };
  }
}

export async function awsReads(d: DoctorDeps, identity: Identity): Promise<CheckResult[]> {
  const actions = READ_GROUPS.flatMap((g) => g.actions);
  const simulated = await simulate(d, identity, actions);
  const decisions = new Map<string, ProbeOutcome>();
  let method: string;
  if (typeof simulated === "string") {
    // The reason is kept short: it explains the method, it is not a failure.
    method = `probed one call each; policy simulation unavailable: ${simulated}`;
    const clients: ProbeClients = { iam: d.iam, cloudtrail: d.cloudtrail, accountId: identity.account, region: d.config.aws.cloudTrailRegion };
    for (const a of actions) decisions.set(a, await probe(clients, a));
  } else {
    method = "IAM policy simulation of the bot's principal";
    for (const a of actions) decisions.set(a, simulated.get(a) ? { allowed: true } : { allowed: false, why: a });
  }
  return READ_GROUPS.map((g) => {
    const name = `AWS reads: ${g.purpose}`;
    const missing = g.actions.filter((a) => {
      const o = decisions.get(a);
      return o && "allowed" in o && !o.allowed;
    });
    const unknown = g.actions.filter((a) => {
      const o = decisions.get(a);
      return !o || "unknown" in o;
    });
    if (missing.length > 0)
      return {
        ok: false,
        name,
        detail: `missing: ${missing.join(", ")}`,
        fix: `Grant ${missing.join(", ")} (statement ${g.sid} of deploy/iam-policy.json), and check for an explicit deny (boundary, SCP).`,
      };
    if (unknown.length > 0) return { ok: false, name, detail: `could not check ${unknown.join(", ")}`, fix: "Run the doctor again (AWS throttled or failed the check)." };
    return { ok: true, name, detail: `all ${g.actions.length} allowed (${method})` };
  });
}

function clockSkew(d: DoctorDeps): CheckResult {
  const name = "Clock skew against AWS";
  // LookupEvents' answer is what the poll window is computed against; any other AWS answer will do.
  const sample = d.serverDates.find((s) => s.service === "cloudtrail") ?? d.serverDates[0];
  if (!sample) return { ok: false, name, detail: "no AWS answer carried a Date header", fix: "Fix the AWS checks above, then run the doctor again." };
  // The header has whole seconds: the server's time lies within the second it names.
  const skewMs = sample.date + 500 - (sample.sentAt + sample.receivedAt) / 2;
  const seconds = Math.round(Math.abs(skewMs) / 1000);
  const direction = skewMs > 0 ? "behind" : "ahead of";
  const detail = seconds === 0 ? "host clock agrees with AWS (within 1 s)" : `host clock is ${seconds} s ${direction} AWS (${sample.service} Date header)`;
  return Math.abs(skewMs) > MAX_CLOCK_SKEW_MS
    ? { ok: false, name, detail, fix: "Synchronise the host clock with NTP (for example `timedatectl set-ntp true`, chrony, or the cloud provider's time service)." }
    : { ok: true, name, detail };
}

export async function runDoctor(d: DoctorDeps): Promise<CheckResult[]> {
  const results: CheckResult[] = [];
  const slack = await slackToken(d);
  results.push(...slack.results);
  const channels: [string, string, string][] = [["alert", "ALERT_CHANNEL_ID", d.config.alertChannelId]];
  if (d.config.escalationChannelId && d.config.escalationChannelId !== d.config.alertChannelId) {
    channels.push(["escalation", "ESCALATION_CHANNEL_ID", d.config.escalationChannelId]);
  }
  if (slack.ok) {
    for (const [label, variable, id] of channels) results.push(await channelMembership(d, label, variable, id));
    results.push(...(await usergroups(d)));
  } else {
    results.push({ ok: false, name: "Slack channels and user groups", detail: "not checked: Slack did not accept the token", fix: "Fix the Slack token first." });
  }
  const { result, identity } = await awsIdentity(d);
  results.push(result);
  results.push(await lookupEvents(d));
  if (identity) results.push(...(await awsReads(d, identity)));
  else results.push({ ok: false, name: "AWS reads: audits and plans", detail: "not checked: no AWS identity", fix: "Fix the AWS identity first." });
  results.push(...(await accountChecks(d, identity)));
  results.push(clockSkew(d));
  return results;
}
