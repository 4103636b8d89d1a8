// Which watched account an `/iam-audit` question is about (`report [account]`, `user <name|ARN> [account]`), and
// the AWS clients that read it: the bot's own clients for its own account, the account's assumed-role clients
// (src/accounts/registry.ts) for the others. An account the bot does not watch is never answered with the own
// account's data: it is refused, naming what was asked.
import type { CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import type { IAMClient } from "@aws-sdk/client-iam";
import type { AwsErrorInfo } from "./audit-queries.js";
import type { ServiceDeps } from "./deps.js";
import { ownAccountId } from "./remediation-deps.js";

/** Name of the bot's own account when no ACCOUNTS_FILE or Organizations listing names it. */
const OWN_NAME = "own account";
/** An account id in an IAM, STS or other ARN: `arn:<partition>:<service>:<region>:<account>:…`. */
const ARN_ACCOUNT = /^arn:aws[a-z-]*:[a-z0-9-]+:[a-z0-9-]*:(\d{12}):/;

/** One watched account, as `/iam-audit` names it. */
export interface AccountChoice {
  /** 12-digit id; null for the own account while its id is unknown (STS unreachable). */
  id: string | null;
  name: string;
  own: boolean;
}

/** The account a question is about and the clients that read it. */
export interface AccountTarget extends AccountChoice {
  iam: IAMClient;
  cloudtrail: CloudTrailClient;
}

export type TargetResult =
  | { ok: true; target: AccountTarget }
  /** unknown: no watched account has that name or id; ambiguous: several have that name; not-watched: an ARN's account. */
  | { ok: false; problem: "unknown" | "ambiguous" | "not-watched"; query: string; matches: AccountChoice[] };

/** The watched accounts, the own account first; without many accounts, the own account alone. */
async function accountChoices(deps: Pick<ServiceDeps, "accounts" | "botIdentity">): Promise<AccountChoice[]> {
  // The registry learns the own id only with many accounts; otherwise STS says it (cached by the resolver).
  const ownId = async (id: string | null) => id ?? (await ownAccountId(deps));
  if (deps.accounts) return Promise.all(deps.accounts.list().map(async (a) => ({ id: a.own ? await ownId(a.id) : a.id, name: a.name, own: a.own })));
  return [{ id: await ownId(null), name: OWN_NAME, own: true }];
}

/** True when the bot watches more than its own account (replies then name the account they are about). */
export function manyAccounts(deps: Pick<ServiceDeps, "accounts">): boolean {
  return deps.accounts?.multiAccount === true;
}

function targetOf(deps: ServiceDeps, a: AccountChoice): AccountTarget {
  if (a.own || a.id === null) return { ...a, iam: deps.iam, cloudtrail: deps.cloudtrail };
  // Refuses an account that stopped being watched since it was listed (AccountsError), never the own clients.
  const c = (deps.accounts as NonNullable<ServiceDeps["accounts"]>).clientsFor(a.id);
  return { ...a, iam: c.iam, cloudtrail: c.cloudtrail };
}

/** The bot's own account. */
export async function ownTarget(deps: ServiceDeps): Promise<AccountTarget> {
  const choices = await accountChoices(deps);
  const own = choices.find((a) => a.own) ?? { id: await ownAccountId(deps), name: OWN_NAME, own: true };
  return targetOf(deps, own);
}

/**
 * The account an argument names: a 12-digit id, or a display name matched exactly (names case-insensitively).
 * An empty argument is the own account.
 */
export async function resolveAccount(deps: ServiceDeps, arg: string): Promise<TargetResult> {
  const query = arg.trim();
  if (query === "") return { ok: true, target: await ownTarget(deps) };
  const choices = await accountChoices(deps);
  const byId = /^\d{12}$/.test(query) ? choices.filter((a) => a.id === query) : [];
  const wanted = query.toLowerCase();
  const matches = byId.length > 0 ? byId : choices.filter((a) => a.name.toLowerCase() === wanted);
  const [only] = matches;
  if (only && matches.length === 1) return { ok: true, target: targetOf(deps, only) };
  return { ok: false, problem: matches.length > 1 ? "ambiguous" : "unknown", query, matches };
}

/** The account of an ARN, when it names one. */
export function accountOfArn(arn: string): string | null {
  return ARN_ACCOUNT.exec(arn.trim())?.[1] ?? null;
}

/** The watched account an ARN belongs to; an ARN of an account the bot does not watch is refused. */
export async function resolveArnAccount(deps: ServiceDeps, arn: string): Promise<TargetResult | null> {
  const id = accountOfArn(arn);
  if (id === null) return null;
  const found = await resolveAccount(deps, id);
  return found.ok ? found : { ok: false, problem: "not-watched", query: id, matches: [] };
}

/**
 * Why the bot cannot act in a member account right now (its role could not be assumed), or null. The own
 * account, and a member account whose identity resolves, are reachable.
 */
export async function unreachable(deps: ServiceDeps, target: AccountChoice): Promise<AwsErrorInfo | null> {
  if (target.own || target.id === null || !deps.accounts) return null;
  const identity = await deps.accounts.clientsFor(target.id).identity();
  if (identity) return null;
  const failed = deps.accounts.assumeState(target.id)?.error;
  if (!failed) return { api: "GetCallerIdentity", errorName: "Error", message: `the bot could not confirm its identity in account ${target.id} (sts:GetCallerIdentity failed)` };
  return { api: "AssumeRole", errorName: failed.code, message: failed.message.slice(0, 500), ...(failed.kind === "denied" ? { missingPermission: failed.missingPermission ?? "sts:AssumeRole" } : {}) };
}
