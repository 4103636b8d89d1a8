// The doctor's many-account checks (ACCOUNTS_FILE or ORG_ROLE_NAME): the accounts resolve, and in each
// watched account the bot can assume its role, look up CloudTrail events and make the reads that plans,
// audits and snapshots need. One row per account, so a hundred accounts stay a readable table; every ✗
// names what is missing there. The external id is passed but never printed.
import { AccountRegistry, type WatchedAccount } from "../accounts/registry.js";
import { createLogger } from "../log.js";
import { mapLimit } from "../audit/context.js";
import { awsReads, lookupEvents, type CheckResult, type DoctorDeps } from "./checks.js";
import { READ_GROUPS } from "./permissions.js";

/** The reads checked in each account (deploy/iam-policy.json's read statements). */
const READS = READ_GROUPS.reduce((n, g) => n + g.actions.length, 0);

/** Accounts checked at once: each makes a handful of calls, and STS and IAM have account-wide rate limits. */
const CONCURRENCY = 4;

function label(a: WatchedAccount): string {
  return `account ${a.name} (${a.id ?? a.scope})`;
}

async function checkAccount(d: DoctorDeps, registry: AccountRegistry, account: WatchedAccount): Promise<CheckResult> {
  const name = label(account);
  const clients = registry.clientsForScope(account.scope);
  const identity = await clients.identity();
  if (!identity) {
    const failure = registry.assumeState(account.scope)?.error;
    const external = account.externalId ? " and the configured externalId" : "";
    return {
      ok: false,
      name,
      detail: failure
        ? `cannot assume ${account.roleArn ?? "its role"}: ${failure.code}${failure.kind === "denied" ? " (denied)" : ""}`
        : `assumed ${account.roleArn ?? "its role"}, but sts:GetCallerIdentity failed there`,
      fix:
        failure?.kind === "denied" || !failure
          ? `Create the role in account ${account.id ?? account.scope} with a trust policy that lets the bot's identity call sts:AssumeRole${external}, and let the bot's identity assume it (see "Many accounts" in the README).`
          : "Check network access to STS (AWS_ENDPOINT_URL_STS if set); then run the doctor again.",
    };
  }
  const scoped: DoctorDeps = { ...d, iam: clients.iam, cloudtrail: clients.cloudtrail };
  const checks = [await lookupEvents(scoped), ...(await awsReads(scoped, { arn: identity.arn, account: identity.accountId }))];
  const failed = checks.filter((c) => !c.ok);
  if (failed.length === 0) return { ok: true, name, detail: `role assumed; LookupEvents and all ${READS} reads allowed` };
  return {
    ok: false,
    name,
    detail: `role assumed, but ${failed.map((c) => `${c.name}: ${c.detail}`).join("; ")}`,
    fix: `In account ${identity.accountId}, on role ${account.roleArn ?? "trailwatch"}: ${failed.map((c) => c.fix ?? "").join(" ")}`,
  };
}

/** Nothing when only the bot's own account is watched; else a summary row and one row per other account. */
/** `identity`: the bot's own, as the AWS identity check found it (null when it failed). */
export async function accountChecks(d: DoctorDeps, identity: { arn: string; account: string } | null): Promise<CheckResult[]> {
  const cfg = d.config.accounts;
  if (cfg.source === "own") return [];
  const registry = new AccountRegistry({
    config: cfg,
    region: d.config.aws.region,
    cloudTrailRegion: d.config.aws.cloudTrailRegion,
    own: {
      iam: d.iam,
      cloudtrail: d.cloudtrail,
      sts: d.sts,
      // Already asked of STS by the identity check: not asked again.
      botIdentity: () => Promise.resolve(identity ? { arn: identity.arn, accountId: identity.account } : null),
    },
    // The doctor prints results, not logs: the registry's warnings are in the rows it returns.
    logger: createLogger("silent"),
  });
  const from = cfg.source === "file" ? "ACCOUNTS_FILE" : `AWS Organizations (ORG_ROLE_NAME=${cfg.roleName})`;
  try {
    await registry.load();
  } catch (err) {
    return [
      {
        ok: false,
        name: "Watched accounts",
        detail: err instanceof Error ? err.message : String(err),
        fix: cfg.source === "organizations" ? "Run trailwatch in the management or a delegated administrator account, or list the accounts in ACCOUNTS_FILE." : "Fix ACCOUNTS_FILE.",
      },
    ];
  }
  const others = registry.list().filter((a) => !a.own);
  const own = registry.list().some((a) => a.own);
  const rows: CheckResult[] = [
    {
      ok: others.length > 0 || own,
      name: "Watched accounts",
      detail: `${others.length} from ${from}${own ? ", and the bot's own account" : " (the own account is excluded: INCLUDE_OWN_ACCOUNT=false)"}`,
      fix: "List at least one account, or include the bot's own account.",
    },
  ];
  // In the order of the listing, failures first so they are not lost in a long table.
  const perAccount = await mapLimit(others, CONCURRENCY, (a) => checkAccount(d, registry, a));
  return [...rows, ...perAccount.filter((r) => !r.ok), ...perAccount.filter((r) => r.ok)];
}
