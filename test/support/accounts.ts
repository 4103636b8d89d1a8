// Many-account test support: which account an access key belongs to (asked of moto), and a recording STS
// proxy in front of moto that can refuse AssumeRole for chosen roles, as STS does when a trust policy does
// not let the caller in. moto itself lets anyone assume any role and does not expose the ExternalId it got.
import type { IncomingMessage, ServerResponse } from "node:http";
import type { CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import { IAMClient } from "@aws-sdk/client-iam";
import { AssumeRoleCommand, GetCallerIdentityCommand, STSClient } from "@aws-sdk/client-sts";
import { AccountsError, type AccountRegistry } from "../../src/accounts/registry.js";
import type { AwsErrorInfo } from "../../src/aws/errors.js";
import type { BotIdentity } from "../../src/domain.js";
import { listenLoopback, readBody, type LoopbackServer } from "../fakes/http-util.js";
import type { Moto } from "./moto.js";

/**
 * An IAM client acting in another moto account: moto gives credentials from sts:AssumeRole into
 * arn:aws:iam::<account>:role/<name> that make later calls act in that account (the role need not exist).
 */
export async function iamInAccount(moto: Pick<Moto, "endpoint" | "sts">, roleArn: string): Promise<IAMClient> {
  const c = (await moto.sts().send(new AssumeRoleCommand({ RoleArn: roleArn, RoleSessionName: "test-setup" }))).Credentials;
  return new IAMClient({
    endpoint: moto.endpoint,
    region: "us-east-1",
    maxAttempts: 1,
    credentials: { accessKeyId: c?.AccessKeyId as string, secretAccessKey: c?.SecretAccessKey as string, sessionToken: c?.SessionToken as string },
  });
}

/**
 * Resolves an access key id to its account through moto: moto does not check signatures, so STS
 * GetCallerIdentity signed with the key id (and any secret) answers with the account moto issued it for.
 */
export function motoAccountResolver(motoEndpoint: string): (accessKeyId: string) => Promise<string | undefined> {
  const cache = new Map<string, Promise<string | undefined>>();
  return (accessKeyId) => {
    let hit = cache.get(accessKeyId);
    if (!hit) {
      const sts = new STSClient({ endpoint: motoEndpoint, region: "us-east-1", maxAttempts: 1, credentials: { accessKeyId, secretAccessKey: "unused", sessionToken: "unused" } });
      hit = sts.send(new GetCallerIdentityCommand({})).then((out) => out.Account);
      cache.set(accessKeyId, hit);
      hit.catch(() => cache.delete(accessKeyId));
    }
    return hit;
  };
}

export interface StsRequest {
  action: string;
  params: Record<string, string>;
  accessKeyId?: string;
}

export interface StsProxy {
  url: string;
  /** Every STS request, in arrival order (form parameters decoded). */
  requests: StsRequest[];
  /** AssumeRole calls for these role ARNs are refused with AccessDenied. */
  deny: Set<string>;
  close(): Promise<void>;
}

const DENIED_XML = (roleArn: string) =>
  `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>AccessDenied</Code>` +
  `<Message>User: arn:aws:iam::123456789012:user/moto is not authorized to perform: sts:AssumeRole on resource: ${roleArn}</Message>` +
  `</Error><RequestId>c6104cbe-af31-11e0-8154-cbc7ccf896c7</RequestId></ErrorResponse>`;

export async function startStsProxy(motoEndpoint: string): Promise<StsProxy> {
  const requests: StsRequest[] = [];
  const deny = new Set<string>();
  const server: LoopbackServer = await listenLoopback(async (req: IncomingMessage, res: ServerResponse) => {
    const body = await readBody(req);
    const params = Object.fromEntries(new URLSearchParams(body));
    const accessKeyId = /Credential=([A-Z0-9]+)\//.exec(req.headers.authorization ?? "")?.[1];
    requests.push({ action: params.Action ?? "", params, ...(accessKeyId ? { accessKeyId } : {}) });
    if (params.Action === "AssumeRole" && params.RoleArn && deny.has(params.RoleArn)) {
      res.writeHead(403, { "content-type": "text/xml" });
      res.end(DENIED_XML(params.RoleArn));
      return;
    }
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) if (typeof v === "string" && k !== "host" && k !== "content-length") headers[k] = v;
    const upstream = await fetch(`${motoEndpoint}${req.url ?? "/"}`, { method: req.method ?? "GET", headers, ...(req.method === "GET" ? {} : { body }) });
    res.writeHead(upstream.status, { "content-type": upstream.headers.get("content-type") ?? "text/xml" });
    res.end(Buffer.from(await upstream.arrayBuffer()));
  });
  return { url: server.url, requests, deny, close: () => server.close() };
}

/** One account of a stub registry: a member unless `own`; its clients answer every AWS call with `send`. */
export interface StubAccount {
  id: string;
  name: string;
  own?: boolean;
  send?: (command: unknown) => Promise<unknown>;
  /** The bot's identity there; null: the role could not be assumed (then `assumeError` says why). */
  identity?: BotIdentity | null;
  assumeError?: AwsErrorInfo;
}

/**
 * An AccountRegistry for in-process tests, without STS: the accounts as listed, each member's clients a stub
 * whose `send` is the account's own (the own account keeps the deps' clients, as the real registry does).
 * `clientsFor` refuses an account not listed, as the real one does.
 */
export function stubRegistry(accounts: StubAccount[]): AccountRegistry {
  const own = accounts.find((a) => a.own);
  const clients = (a: StubAccount) => {
    const client = { send: a.send ?? (() => Promise.reject(new Error(`this test does not expect an AWS call in ${a.id}`))) };
    return { iam: client as unknown as IAMClient, cloudtrail: client as unknown as CloudTrailClient, identity: () => Promise.resolve(a.identity === undefined ? { arn: `arn:aws:sts::${a.id}:assumed-role/trailwatch/trailwatch`, accountId: a.id } : a.identity) };
  };
  const stub: Pick<AccountRegistry, "multiAccount" | "source" | "list" | "ownAccountId" | "clientsFor" | "assumeState"> = {
    multiAccount: true,
    source: "file",
    list: () => accounts.map((a) => ({ scope: a.own ? "default" : a.id, id: a.id, name: a.name, own: a.own === true })),
    ownAccountId: () => own?.id ?? null,
    clientsFor: (id) => {
      const a = accounts.find((x) => x.id === id && !x.own);
      if (!a) throw new AccountsError("account-not-watched", `account ${String(id)} is not among the accounts trailwatch watches, so it cannot act there`);
      return clients(a);
    },
    assumeState: (scope) => {
      const a = accounts.find((x) => x.id === scope);
      return a?.assumeError ? { ok: false, at: new Date(0), error: a.assumeError } : undefined;
    },
  };
  return stub as AccountRegistry;
}
