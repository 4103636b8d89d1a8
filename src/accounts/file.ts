// ACCOUNTS_FILE: the accounts to watch besides the bot's own, in YAML. Read and validated once at start-up;
// every problem is reported with the file, the line and the field, so an operator can fix the file in one go.
import { readFileSync } from "node:fs";
import { isMap, isScalar, isSeq, LineCounter, parseDocument, type Node } from "yaml";

export interface AccountEntry {
  /** 12-digit AWS account id. */
  id: string;
  /** Display name shown in Slack and in metrics. */
  name: string;
  /** Role the bot assumes in the account (from the default credential chain). */
  roleArn?: string | undefined;
  /** Passed to sts:AssumeRole when the role's trust policy requires it. */
  externalId?: string;
}

const ACCOUNT_ID = /^\d{12}$/;
// Partition-aware; the role path may have slashes; the name follows IAM's character set.
const ROLE_ARN = /^arn:aws(?:-[a-z]+)*:iam::(\d{12}):role\/(?:[\w+=,.@-]+\/)*[\w+=,.@-]{1,64}$/;
// STS: 2-1224 characters of [\w+=,.@:/-].
const EXTERNAL_ID = /^[\w+=,.@:/-]{2,1224}$/;
const MAX_NAME = 64;
const MAX_ACCOUNTS = 1000;
const KNOWN_FIELDS = new Set(["id", "name", "roleArn", "externalId"]);

/** Reads and validates ACCOUNTS_FILE. Returns the entries, or the problems (one line each). */
export function loadAccountsFile(path: string): { entries: AccountEntry[]; problems: string[] } {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as { code?: string }).code ?? "unreadable";
    return { entries: [], problems: [`ACCOUNTS_FILE ${path} cannot be read (${code})`] };
  }
  return parseAccountsYaml(text, path);
}

/** Parses the YAML text of an accounts file (`where` names it in messages). */
export function parseAccountsYaml(text: string, where: string): { entries: AccountEntry[]; problems: string[] } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true });
  const at = (node: Node | null | undefined): string => {
    const offset = node?.range?.[0];
    return offset === undefined ? where : `${where}:${lines.linePos(offset).line}`;
  };
  const problems: string[] = [];
  if (doc.errors.length > 0) {
    for (const e of doc.errors.slice(0, 5)) {
      problems.push(`ACCOUNTS_FILE ${where}:${lines.linePos(e.pos[0]).line}: not valid YAML (${e.code})`);
    }
    return { entries: [], problems };
  }
  const root = doc.contents;
  const list = isMap(root) ? root.get("accounts", true) : undefined;
  if (!isMap(root) || !isSeq(list)) {
    return { entries: [], problems: [`ACCOUNTS_FILE ${at(root)}: expected a top-level "accounts:" list`] };
  }
  if (list.items.length === 0) return { entries: [], problems: [`ACCOUNTS_FILE ${at(list)}: "accounts" is empty`] };
  if (list.items.length > MAX_ACCOUNTS) return { entries: [], problems: [`ACCOUNTS_FILE ${at(list)}: more than ${MAX_ACCOUNTS} accounts`] };

  const entries: AccountEntry[] = [];
  const seen = new Map<string, string>();
  list.items.forEach((item, i) => {
    const field = (name: string) => `accounts[${i}].${name}`;
    if (!isMap(item)) {
      problems.push(`ACCOUNTS_FILE ${at(item as Node)}: accounts[${i}] must be a mapping with id, name and roleArn`);
      return;
    }
    for (const pair of item.items) {
      const key = isScalar(pair.key) ? String(pair.key.value) : "?";
      if (!KNOWN_FIELDS.has(key)) problems.push(`ACCOUNTS_FILE ${at(pair.key as Node)}: ${field(key)} is not a known field (id, name, roleArn, externalId)`);
    }
    const scalar = (name: string, required: boolean): { value?: string; node?: Node } => {
      const node = item.get(name, true) as Node | undefined;
      if (node === undefined || (isScalar(node) && (node.value === null || node.value === ""))) {
        if (required) problems.push(`ACCOUNTS_FILE ${at(item)}: ${field(name)} is required`);
        return {};
      }
      // Account ids must be quoted: YAML reads 012345678901 as a number and drops the leading zero.
      if (!isScalar(node) || typeof node.value !== "string") {
        problems.push(`ACCOUNTS_FILE ${at(node)}: ${field(name)} must be a quoted string`);
        return { node };
      }
      return { value: node.value.trim(), node };
    };
    const id = scalar("id", true);
    const name = scalar("name", true);
    const role = scalar("roleArn", true);
    const ext = scalar("externalId", false);
    let ok = id.value !== undefined && name.value !== undefined && role.value !== undefined;
    if (id.value !== undefined && !ACCOUNT_ID.test(id.value)) {
      problems.push(`ACCOUNTS_FILE ${at(id.node)}: ${field("id")} must be a 12-digit AWS account id`);
      ok = false;
    }
    if (name.value !== undefined && (name.value.length > MAX_NAME || /\p{Cc}/u.test(name.value))) {
      problems.push(`ACCOUNTS_FILE ${at(name.node)}: ${field("name")} must be one line of at most ${MAX_NAME} characters`);
      ok = false;
    }
    if (role.value !== undefined) {
      const m = ROLE_ARN.exec(role.value);
      if (!m) {
        problems.push(`ACCOUNTS_FILE ${at(role.node)}: ${field("roleArn")} must be an IAM role ARN such as arn:aws:iam::444455556666:role/trailwatch`);
        ok = false;
      } else if (id.value !== undefined && ACCOUNT_ID.test(id.value) && m[1] !== id.value) {
        problems.push(`ACCOUNTS_FILE ${at(role.node)}: ${field("roleArn")} is in account ${m[1]}, not in ${field("id")} ${id.value}`);
        ok = false;
      }
    }
    // The external id is a shared secret of sorts: its value is never echoed.
    if (ext.value !== undefined && !EXTERNAL_ID.test(ext.value)) {
      problems.push(`ACCOUNTS_FILE ${at(ext.node)}: ${field("externalId")} must be 2-1224 characters of letters, digits and +=,.@:/-_ (value not shown)`);
      ok = false;
    }
    if (id.value !== undefined && ACCOUNT_ID.test(id.value)) {
      const first = seen.get(id.value);
      if (first) {
        problems.push(`ACCOUNTS_FILE ${at(id.node)}: ${field("id")} ${id.value} is listed twice (first as ${first})`);
        ok = false;
      } else {
        seen.set(id.value, field("id"));
      }
    }
    if (ok) {
      entries.push({
        id: id.value as string,
        name: name.value as string,
        roleArn: role.value,
        ...(ext.value !== undefined ? { externalId: ext.value } : {}),
      });
    }
  });
  return { entries, problems };
}

/** Which accounts to watch, as configured (ACCOUNTS_FILE, ORG_ROLE_NAME, INCLUDE_OWN_ACCOUNT). */
export type AccountsConfig = {
  /** Poll the account of the default credentials too (INCLUDE_OWN_ACCOUNT, default true). */
  includeOwnAccount: boolean;
} & (
  | { source: "own" }
  | { source: "file"; path: string; entries: AccountEntry[] }
  | { source: "organizations"; roleName: string; refreshMinutes: number }
);
