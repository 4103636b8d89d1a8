// A tiny HTTP proxy in front of moto_server for the audit tests. It speaks the real wire protocols
// (IAM Query/XML, CloudTrail JSON 1.1), so the SDK parses its answers exactly as it would AWS's:
// - deny(action): answer with AccessDenied (IAM XML 403) or AccessDeniedException (CloudTrail JSON 400);
// - on(action, handler): answer or rewrite a call (moto gaps: root MFA, credential report states, paging);
// everything else is forwarded to moto unchanged. Every call is recorded in `calls`.
import { createServer, type IncomingMessage, type Server } from "node:http";
import { CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import { IAMClient } from "@aws-sdk/client-iam";
import { TEST_CREDENTIALS } from "../../support/moto.js";

export interface ProxiedCall {
  service: "iam" | "cloudtrail";
  action: string;
  /** IAM: the form parameters. CloudTrail: the JSON body. */
  params: Record<string, unknown>;
}

export interface ProxyResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

export type ProxyHandler = (call: ProxiedCall, forward: () => Promise<ProxyResponse>) => Promise<ProxyResponse> | ProxyResponse;

export interface AwsProxy {
  endpoint: string;
  calls: ProxiedCall[];
  deny(action: string, message?: string): void;
  on(action: string, handler: ProxyHandler): void;
  /** Removes every deny/handler and forgets recorded calls. */
  clear(): void;
  iam(): IAMClient;
  cloudtrail(): CloudTrailClient;
  stop(): Promise<void>;
}

let requestSeq = 0;

export function iamError(code: string, message: string, status: number): ProxyResponse {
  const body =
    `<ErrorResponse xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><Error><Type>Sender</Type>` +
    `<Code>${code}</Code><Message>${escapeXml(message)}</Message></Error>` +
    `<RequestId>proxy-${++requestSeq}</RequestId></ErrorResponse>`;
  return { status, headers: { "content-type": "text/xml" }, body };
}

export function iamResult(action: string, innerXml: string): ProxyResponse {
  const body =
    `<${action}Response xmlns="https://iam.amazonaws.com/doc/2010-05-08/"><${action}Result>${innerXml}</${action}Result>` +
    `<ResponseMetadata><RequestId>proxy-${++requestSeq}</RequestId></ResponseMetadata></${action}Response>`;
  return { status: 200, headers: { "content-type": "text/xml" }, body };
}

export function cloudtrailError(type: string, message: string, status = 400): ProxyResponse {
  return {
    status,
    headers: { "content-type": "application/x-amz-json-1.1", "x-amzn-errortype": type },
    body: JSON.stringify({ __type: type, message }),
  };
}

function escapeXml(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

async function readBody(req: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of req) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

function identify(req: IncomingMessage, body: string): ProxiedCall | undefined {
  const target = req.headers["x-amz-target"];
  if (typeof target === "string") {
    const action = target.split(".").pop() ?? "";
    let params: Record<string, unknown> = {};
    try {
      params = body ? (JSON.parse(body) as Record<string, unknown>) : {};
    } catch {
      // leave empty
    }
    return { service: "cloudtrail", action, params };
  }
  const form = new URLSearchParams(body);
  const action = form.get("Action");
  if (!action) return undefined;
  return { service: "iam", action, params: Object.fromEntries(form.entries()) };
}

export async function startAwsProxy(upstream: string): Promise<AwsProxy> {
  const handlers = new Map<string, ProxyHandler>();
  const calls: ProxiedCall[] = [];

  const forwardRaw = async (req: IncomingMessage, body: string): Promise<ProxyResponse> => {
    const headers: Record<string, string> = {};
    for (const [k, v] of Object.entries(req.headers)) {
      if (typeof v !== "string") continue;
      if (["host", "content-length", "connection", "transfer-encoding"].includes(k)) continue;
      headers[k] = v;
    }
    const method = req.method ?? "GET";
    const init: RequestInit = { method, headers };
    if (method !== "GET" && method !== "HEAD") init.body = body;
    const res = await fetch(`${upstream}${req.url ?? "/"}`, init);
    const out: Record<string, string> = {};
    for (const h of ["content-type", "x-amzn-errortype", "x-amzn-requestid"]) {
      const v = res.headers.get(h);
      if (v !== null) out[h] = v;
    }
    return { status: res.status, headers: out, body: await res.text() };
  };

  const server: Server = createServer((req, res) => {
    void (async () => {
      try {
        const body = await readBody(req);
        const call = identify(req, body);
        let reply: ProxyResponse;
        if (call) {
          calls.push(call);
          const handler = handlers.get(`${call.service}:${call.action}`) ?? handlers.get(call.action);
          reply = handler ? await handler(call, () => forwardRaw(req, body)) : await forwardRaw(req, body);
        } else {
          reply = await forwardRaw(req, body);
        }
        res.writeHead(reply.status, reply.headers);
        res.end(reply.body);
      } catch (err) {
        res.writeHead(500, { "content-type": "text/plain" });
        res.end(String(err));
      }
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const addr = server.address();
  if (addr === null || typeof addr === "string") throw new Error("proxy has no port");
  const endpoint = `http://127.0.0.1:${addr.port}`;
  const common = { endpoint, region: "us-east-1", credentials: TEST_CREDENTIALS, maxAttempts: 1 };

  return {
    endpoint,
    calls,
    deny(action, message) {
      handlers.set(action, (call) => {
        const perm = `${call.service}:${call.action}`;
        const msg =
          message ??
          `User: arn:aws:iam::123456789012:user/trailwatch-bot is not authorized to perform: ${perm} on resource: * because no identity-based policy allows the ${perm} action`;
        return call.service === "iam" ? iamError("AccessDenied", msg, 403) : cloudtrailError("AccessDeniedException", msg);
      });
    },
    on(action, handler) {
      handlers.set(action, handler);
    },
    clear() {
      handlers.clear();
      calls.length = 0;
    },
    iam: () => new IAMClient(common),
    cloudtrail: () => new CloudTrailClient(common),
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => { resolve(); }));
    },
  };
}

/** Rewrites one numeric entry of moto's GetAccountSummary SummaryMap (moto fixes AccountMFAEnabled at 0). */
export function setSummaryValue(xml: string, key: string, value: number): string {
  const re = new RegExp(`(<entry><key>${key}</key><value>)[^<]*(</value></entry>)`);
  if (!re.test(xml)) throw new Error(`SummaryMap has no ${key}`);
  return xml.replace(re, `$1${value}$2`);
}

/** A ListUsers handler that pages moto's (never truncated) answer: `pageSize` users per page, Marker = offset. */
export function pagedListUsers(pageSize: number): ProxyHandler {
  return async (call, forward) => {
    const upstream = await forward();
    const users = /<Users>([\s\S]*)<\/Users>/.exec(upstream.body)?.[1] ?? "";
    const members = users.match(/<member>[\s\S]*?<\/member>/g) ?? [];
    const start = Number(call.params["Marker"] ?? "0");
    const max = Number(call.params["MaxItems"] ?? pageSize);
    const size = Math.min(max, pageSize);
    const page = members.slice(start, start + size);
    const next = start + size;
    const truncated = next < members.length;
    return iamResult(
      "ListUsers",
      `<Users>${page.join("")}</Users><IsTruncated>${truncated}</IsTruncated>` +
        (truncated ? `<Marker>${next}</Marker>` : ""),
    );
  };
}
