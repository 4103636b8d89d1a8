// The accounts trailwatch watches and the AWS clients that act in each. The bot's own account uses the
// default credential chain; every other account is reached through a role assumed with STS from that chain
// (fromTemporaryCredentials: the SDK refreshes the credentials before they expire, and STS is reached through
// AWS_ENDPOINT_URL_STS like every other endpoint). Accounts come from ACCOUNTS_FILE, or from AWS Organizations
// (ORG_ROLE_NAME), re-listed periodically so new accounts are watched without a restart.
import { CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import { IAMClient } from "@aws-sdk/client-iam";
import { OrganizationsClient } from "@aws-sdk/client-organizations";
import { STSClient } from "@aws-sdk/client-sts";
import { fromTemporaryCredentials } from "@aws-sdk/credential-providers";
import { classifyAwsError, TrailwatchError, type AwsErrorInfo } from "../aws/errors.js";
import type { BotIdentity } from "../domain.js";
import { errorFields, type Logger } from "../log.js";
import type { AccountsConfig } from "./file.js";
import { OrganizationsGateway, stsGateway } from "../aws/sts-gateway.js";

/** Session name the bot uses in every account: shows as `assumed-role/<role>/trailwatch` in their CloudTrail. */
const ROLE_SESSION_NAME = "trailwatch";
/** Store scope of the bot's own account: the cursor and alerts written before many-account support. */
const OWN_SCOPE = "default";

export interface WatchedAccount {
  /** Store scope: OWN_SCOPE for the bot's own account, the account id for the others. */
  scope: string;
  /** 12-digit id; null for the own account while its id is unknown (STS unreachable at start-up). */
  id: string | null;
  /** Display name (ACCOUNTS_FILE name, Organizations name, or "own account"). */
  name: string;
  own: boolean;
  roleArn?: string | undefined;
  externalId?: string;
}

/** AWS clients that act in one account, and the bot's identity there. */
export interface AccountClients {
  iam: IAMClient;
  cloudtrail: CloudTrailClient;
  identity(): Promise<BotIdentity | null>;
}

/** The last attempt to assume an account's role (for health and notices). */
export interface AssumeState {
  ok: boolean;
  at: Date;
  error?: AwsErrorInfo;
}

export class AccountsError extends TrailwatchError {}

/**
 * Time limits for every call into a watched account. Without them a request that never gets an answer would
 * keep that account's poller busy forever (it never starts a poll while one runs).
 */
const REQUEST_HANDLER = { connectionTimeout: 5_000, requestTimeout: 30_000 };

export interface OwnClients {
  iam: IAMClient;
  cloudtrail: CloudTrailClient;
  sts: STSClient;
  botIdentity: () => Promise<BotIdentity | null>;
}

export interface RegistryOptions {
  config: AccountsConfig;
  region: string;
  cloudTrailRegion: string;
  own: OwnClients;
  logger: Logger;
  now?: () => Date;
  /** Organizations client (ORG_ROLE_NAME); built from the default chain when absent. */
  organizations?: OrganizationsClient;
}

interface Entry {
  account: WatchedAccount;
  clients?: AccountClients;
  assume?: AssumeState;
}

export class AccountRegistry {
  private entries = new Map<string, Entry>();
  private ownId: string | null = null;
  private partition = "aws";
  private readonly now: () => Date;
  private organizations?: OrganizationsClient;

  constructor(private readonly opts: RegistryOptions) {
    this.now = opts.now ?? (() => new Date());
  }

  /** True when more than the bot's own account may be watched (names are then shown on alerts). */
  get multiAccount(): boolean {
    return this.opts.config.source !== "own";
  }

  get source(): AccountsConfig["source"] {
    return this.opts.config.source;
  }

  /** Resolves the bot's own account and the configured accounts. Throws AccountsError when discovery is denied. */
  async load(): Promise<void> {
    // Only many accounts need the own id (to tell it apart from the listed ones); a single-account bot starts
    // without waiting for STS, as before.
    if (this.multiAccount) await this.resolveOwn();
    const cfg = this.opts.config;
    if (cfg.source === "organizations") {
      const listed = await this.listOrganization().catch((err: unknown) => {
        const info = classifyAwsError(err, "organizations:ListAccounts");
        if (info.code === "AWSOrganizationsNotInUseException") {
          throw new AccountsError("org-not-in-use", "ORG_ROLE_NAME is set, but the bot's account is not in an AWS Organization: list the accounts in ACCOUNTS_FILE instead", { cause: err });
        }
        if (info.kind === "denied") {
          throw new AccountsError(
            "org-list-denied",
            `ORG_ROLE_NAME needs organizations:ListAccounts, which was denied (${info.code}): run trailwatch in the organization's management account or a delegated administrator account`,
            { cause: err },
          );
        }
        this.opts.logger.error(errorFields(err), "could not list the organization's accounts; retrying at the next refresh (the own account is watched meanwhile)");
        return null;
      });
      this.apply(listed ?? []);
    } else if (cfg.source === "file") {
      this.apply(cfg.entries.map((e) => ({ ...e })));
    } else {
      this.apply([]);
    }
  }

  /** Re-lists the organization (ORG_ROLE_NAME): new active accounts are added, closed or removed ones dropped. */
  async refresh(): Promise<{ added: WatchedAccount[]; removed: WatchedAccount[] }> {
    if (this.opts.config.source !== "organizations") return { added: [], removed: [] };
    if (this.ownId === null) await this.resolveOwn();
    const before = new Set(this.entries.keys());
    const listed = await this.listOrganization();
    this.apply(listed);
    const after = new Set(this.entries.keys());
    return {
      added: [...after].filter((k) => !before.has(k)).map((k) => (this.entries.get(k) as Entry).account),
      removed: [...before].filter((k) => !after.has(k)).map((k) => ({ scope: k, id: k, name: k, own: false })),
    };
  }

  /** Every watched account, the own account first. */
  list(): WatchedAccount[] {
    return [...this.entries.values()].map((e) => e.account);
  }

  get(scope: string): WatchedAccount | undefined {
    return this.entries.get(scope)?.account;
  }

  /** The own account's scope and id resolution: alerts without an account id belong to it. */
  ownAccountId(): string | null {
    return this.ownId;
  }

  assumeState(scope: string): AssumeState | undefined {
    return this.entries.get(scope)?.assume;
  }

  /**
   * Clients acting in the account an event came from. No account id (alerts from before many-account
   * support, or the own account) means the own account. An account that is not watched is refused rather
   * than served with the own account's clients: a remediation must never run in the wrong account.
   */
  clientsFor(accountId: string | null | undefined): AccountClients {
    if (accountId === undefined || accountId === null || accountId === this.ownId) return this.ownClients();
    const entry = this.entries.get(accountId);
    if (!entry) {
      throw new AccountsError("account-not-watched", `account ${accountId} is not among the accounts trailwatch watches, so it cannot act there`);
    }
    return this.clientsOf(entry);
  }

  /** Clients for a watched account by scope (the pollers use this). */
  clientsForScope(scope: string): AccountClients {
    const entry = this.entries.get(scope);
    if (!entry) throw new AccountsError("account-not-watched", `no watched account ${scope}`);
    return this.clientsOf(entry);
  }

  private async resolveOwn(): Promise<void> {
    // Bounded: a hanging STS must not hold start-up; the own account is then watched under "own account".
    const me = await Promise.race([this.opts.own.botIdentity(), new Promise<null>((r) => setTimeout(() => { r(null); }, 15_000).unref())]);
    if (me) {
      this.ownId = me.accountId;
      this.partition = /^arn:([^:]+):/.exec(me.arn)?.[1] ?? "aws";
    } else {
      this.opts.logger.warn("the bot's own account id is unknown (sts:GetCallerIdentity failed); it is watched as \"own account\"");
    }
  }

  private ownClients(): AccountClients {
    const own = this.opts.own;
    return { iam: own.iam, cloudtrail: own.cloudtrail, identity: own.botIdentity };
  }

  private clientsOf(entry: Entry): AccountClients {
    if (entry.account.own) return this.ownClients();
    if (entry.clients) return entry.clients;
    const { roleArn, externalId } = entry.account;
    const inner = fromTemporaryCredentials({
      params: { RoleArn: roleArn, RoleSessionName: ROLE_SESSION_NAME, DurationSeconds: 3600, ...(externalId ? { ExternalId: externalId } : {}) },
      clientConfig: { region: this.opts.region, maxAttempts: 3, requestHandler: REQUEST_HANDLER },
    });
    // Wrapped to remember the outcome of the last AssumeRole for health and notices. The SDK clients memoize
    // this provider and call it again shortly before the credentials expire.
    const credentials: typeof inner = async (props) => {
      try {
        const c = await inner(props);
        entry.assume = { ok: true, at: this.now() };
        return c;
      } catch (err) {
        entry.assume = { ok: false, at: this.now(), error: classifyAwsError(err, "sts:AssumeRole") };
        throw err;
      }
    };
    const sts = new STSClient({ region: this.opts.region, maxAttempts: 3, credentials, requestHandler: REQUEST_HANDLER });
    let identity: BotIdentity | null = null;
    entry.clients = {
      cloudtrail: new CloudTrailClient({ region: this.opts.cloudTrailRegion, maxAttempts: 1, credentials, requestHandler: REQUEST_HANDLER }),
      iam: new IAMClient({ region: this.opts.region, maxAttempts: 3, credentials, requestHandler: REQUEST_HANDLER }),
      identity: async () => {
        if (identity) return identity;
        try {
          const out = await stsGateway(sts).getCallerIdentity();
          if (out.Arn && out.Account) identity = { arn: out.Arn, accountId: out.Account };
        } catch (err) {
          this.opts.logger.warn({ account: entry.account.scope, ...errorFields(err) }, "could not resolve the bot's identity in a watched account");
        }
        return identity;
      },
    };
    return entry.clients;
  }

  private apply(others: { id: string; name: string; roleArn?: string | undefined; externalId?: string | undefined }[]): void {
    const cfg = this.opts.config;
    const next = new Map<string, Entry>();
    const listedOwn = others.find((a) => a.id === this.ownId);
    if (cfg.includeOwnAccount) {
      const prev = this.entries.get(OWN_SCOPE);
      const account: WatchedAccount = {
        scope: OWN_SCOPE,
        id: this.ownId,
        // The own account keeps the default credentials; a listing of it only lends its name.
        name: listedOwn?.name ?? "own account",
        own: true,
      };
      next.set(OWN_SCOPE, { ...prev, account });
    }
    for (const a of others) {
      if (a.id === this.ownId) continue;
      const prev = this.entries.get(a.id);
      const account: WatchedAccount = { scope: a.id, id: a.id, name: a.name, own: false, roleArn: a.roleArn, ...(a.externalId ? { externalId: a.externalId } : {}) };
      // Keep the clients (and their cached credentials) of an account that did not change.
      const same = prev && prev.account.roleArn === account.roleArn && prev.account.externalId === account.externalId;
      next.set(a.id, same ? { ...prev, account } : { account });
    }
    this.entries = next;
  }

  private async listOrganization(): Promise<{ id: string; name: string; roleArn: string }[]> {
    const cfg = this.opts.config;
    if (cfg.source !== "organizations") return [];
    this.organizations ??= this.opts.organizations ?? new OrganizationsClient({ region: this.opts.region, maxAttempts: 3 });
    const out: { id: string; name: string; roleArn: string }[] = [];
    for (const a of await new OrganizationsGateway(this.organizations).listAccounts()) {
      if (!a.Id || !/^\d{12}$/.test(a.Id)) continue;
      // State replaces the deprecated Status; either says whether the account can be used.
      if ((a.State ?? a.Status) !== "ACTIVE") continue;
      // Account names are set by whoever administers the account: bounded here, escaped when shown.
      const name = (a.Name ?? a.Id).replace(/\p{Cc}/gu, " ").slice(0, 64);
      out.push({ id: a.Id, name, roleArn: `arn:${this.partition}:iam::${a.Id}:role/${cfg.roleName}` });
    }
    return out;
  }
}
