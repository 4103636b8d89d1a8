// Reads and validates RULES_FILE (YAML). Every problem names the file, the line and the field, e.g.
//   rules.yml:12: rules[2].match.sourceIp: "10.0.0.0/33" is not an IPv4 or IPv6 CIDR
// A file with any problem is rejected as a whole: at start-up that is a configuration error (exit 2); on
// reload the rules in force stay (see RulesReloader).
import { readFileSync } from "node:fs";
import { isIP } from "node:net";
import { isMap, isNode, isScalar, LineCounter, parseDocument, type Document } from "yaml";
import { z } from "zod";
import { TrailwatchError } from "../aws/errors.js";
import { IAM_DELETION_EVENT_NAMES, SEVERITIES } from "../domain.js";
import type { RuleSpec } from "./engine.js";

export interface RulesProblem {
  file: string;
  line: number | null;
  field: string;
  message: string;
}

export class RulesFileError extends TrailwatchError {
  constructor(readonly problems: RulesProblem[]) {
    super("rules_file_invalid", problems.map(formatProblem).join("\n"));
  }
}

export function formatProblem(p: RulesProblem): string {
  return `${p.file}${p.line === null ? "" : `:${p.line}`}: ${p.field === "" ? "" : `${p.field}: `}${p.message}`;
}

// A single value or a list of values; a single value is a list of one, so errors point at list items.
const oneOrMany = <T extends z.ZodType>(item: T) =>
  z.preprocess((v): unknown[] => (Array.isArray(v) ? (v as unknown[]) : [v]), z.array(item).min(1, "must list at least one value"));

// Text that reaches Slack or logs; the bound keeps one bad rule from bloating every alert.
const name = z.string({ error: "must be a text" }).trim().min(1, "must not be empty").max(80, "must be at most 80 characters").regex(/^[^\p{Cc}]+$/u, "must not contain control characters");
const glob = z.string({ error: "must be a text" }).min(1, "must not be empty").max(2048, "must be at most 2048 characters");

function validCidr(v: string): boolean {
  const [addr = "", bits, extra] = v.split("/");
  if (extra !== undefined) return false;
  const family = isIP(addr);
  if (family === 0) return false;
  if (bits === undefined) return true;
  if (!/^\d{1,3}$/.test(bits)) return false;
  return Number(bits) <= (family === 6 ? 128 : 32);
}

const principal = z.strictObject(
  {
    type: glob.optional(),
    account: glob.optional(),
    user: glob.optional(),
    role: glob.optional(),
    session: glob.optional(),
    path: glob.optional(),
  },
  { error: (iss) => (iss.code === "unrecognized_keys" ? `unknown key (allowed: type, account, user, role, session, path)` : "must be an ARN glob or a principal (type, account, user, role, session, path)") },
).refine((p) => Object.values(p as Record<string, string | undefined>).some((v) => v !== undefined), "a principal needs at least one of type, account, user, role, session, path");

const match = z.strictObject(
  {
    events: oneOrMany(z.enum(IAM_DELETION_EVENT_NAMES, { error: (iss) => `${JSON.stringify(iss.input)} is not one of the 30 IAM deletion event names` })).optional(),
    actor: oneOrMany(z.union([glob, principal], { error: "must be an ARN glob or a principal (type, account, user, role, session, path)" })).optional(),
    resource: oneOrMany(glob).optional(),
    errorCode: oneOrMany(z.string({ error: "must be present, absent or an error code" }).trim().min(1, "must be present, absent or an error code")).optional(),
    account: oneOrMany(z.union([z.string(), z.number()]).transform((v) => String(v)).pipe(z.string().regex(/^\d{12}$/, "must be a 12-digit AWS account id (quote it in YAML)"))).optional(),
    sourceIp: oneOrMany(z.string({ error: "must be a CIDR" }).trim().refine(validCidr, { error: (iss) => `${JSON.stringify(iss.input)} is not an IPv4 or IPv6 address or CIDR` })).optional(),
    userAgent: oneOrMany(glob).optional(),
    outcome: oneOrMany(z.enum(["success", "denied", "failed"], { error: "must be success, denied or failed" })).optional(),
    severity: oneOrMany(z.enum(SEVERITIES, { error: `must be one of ${SEVERITIES.join(", ")}` })).optional(),
  },
  { error: (iss) => (iss.code === "unrecognized_keys" ? "unknown key (allowed: events, actor, resource, errorCode, account, sourceIp, userAgent, outcome, severity)" : "must be a mapping") },
);

const rule = z
  .strictObject(
    {
      name,
      match: match.optional(),
      suppress: z.boolean({ error: "must be true or false" }).optional(),
      route: z.string({ error: "must be a Slack channel id" }).trim().regex(/^[CG][A-Z0-9]{2,}$/, "must be a Slack channel id such as C0123456789").optional(),
      severity: z.enum(SEVERITIES, { error: `must be one of ${SEVERITIES.join(", ")}` }).optional(),
      mention: z.string({ error: "must be a Slack user group id" }).trim().regex(/^S[A-Z0-9]{2,}$/, "must be a Slack user group id such as S0123456789").optional(),
    },
    { error: (iss) => (iss.code === "unrecognized_keys" ? "unknown key (allowed: name, match, suppress, route, severity, mention)" : "must be a mapping with a name") },
  )
  .superRefine((r, ctx) => {
    const actions = [r.suppress === true, r.route !== undefined, r.severity !== undefined, r.mention !== undefined].filter(Boolean).length;
    if (actions === 0) ctx.addIssue({ code: "custom", message: "needs an action: suppress, route, severity or mention", path: [] });
    if (r.suppress === true && actions > 1) ctx.addIssue({ code: "custom", message: "suppress cannot be combined with route, severity or mention", path: ["suppress"] });
  });

const file = z.strictObject(
  {
    rules: z.array(rule, { error: (iss) => (iss.input === undefined ? "is required: a list of rules" : "must be a list of rules") }).superRefine((rules, ctx) => {
      const seen = new Map<string, number>();
      rules.forEach((r, i) => {
        if (seen.has(r.name)) ctx.addIssue({ code: "custom", message: `duplicate rule name (also rules[${seen.get(r.name)}])`, path: [i, "name"] });
        else seen.set(r.name, i);
      });
    }),
  },
  { error: (iss) => (iss.code === "unrecognized_keys" ? "unknown top-level key (only rules is allowed)" : "the file must be a mapping with a rules list") },
);

function fieldName(path: readonly PropertyKey[]): string {
  let out = "";
  for (const p of path) out += typeof p === "number" ? `[${p}]` : `${out === "" ? "" : "."}${String(p)}`;
  return out;
}

/** The 1-based line of the key `key` in the mapping at `path`. */
function keyLine(doc: Document, counter: LineCounter, path: readonly PropertyKey[], key: string): number | null {
  const map: unknown = path.length === 0 ? doc.contents : doc.getIn(path as (string | number)[], true);
  if (!isMap(map)) return null;
  for (const pair of map.items) {
    if (isScalar(pair.key) && String(pair.key.value) === key && pair.key.range) return counter.linePos(pair.key.range[0]).line;
  }
  return null;
}

/** The 1-based line of the deepest YAML node on `path` that exists. */
function lineOf(doc: Document, counter: LineCounter, path: readonly PropertyKey[]): number | null {
  for (let n = path.length; n >= 0; n--) {
    const node: unknown = n === 0 ? doc.contents : doc.getIn(path.slice(0, n) as (string | number)[], true);
    if (isNode(node) && node.range) return counter.linePos(node.range[0]).line;
  }
  return null;
}

/** Parses and validates rules from YAML text; throws RulesFileError with every problem found. */
export function parseRules(text: string, fileLabel: string): RuleSpec[] {
  const counter = new LineCounter();
  const doc = parseDocument(text, { lineCounter: counter, prettyErrors: false, uniqueKeys: true });
  if (doc.errors.length > 0) {
    throw new RulesFileError(
      doc.errors.map((e) => ({ file: fileLabel, line: counter.linePos(e.pos[0]).line, field: "", message: `YAML syntax: ${e.message.split("\n")[0] ?? e.code}` })),
    );
  }
  const data: unknown = doc.toJS({ maxAliasCount: 100 });
  const parsed = file.safeParse(data ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((iss): RulesProblem => {
        // Unknown keys point at the key itself, so the line is the key's, not the mapping's.
        if (iss.code === "unrecognized_keys" && iss.keys[0] !== undefined) {
          const keyPath = [...iss.path, iss.keys[0]];
          const line = keyLine(doc, counter, iss.path, iss.keys[0]) ?? lineOf(doc, counter, keyPath);
          return { file: fileLabel, line, field: fieldName(keyPath), message: iss.message };
        }
        return { file: fileLabel, line: lineOf(doc, counter, iss.path), field: fieldName(iss.path), message: iss.message };
    });
    throw new RulesFileError(problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0)));
  }
  return parsed.data.rules.map((r) => {
    const spec: RuleSpec = { name: r.name, match: r.match ?? {} };
    if (r.suppress) spec.suppress = true;
    if (r.route) spec.route = r.route;
    if (r.severity) spec.severity = r.severity;
    if (r.mention) spec.mention = r.mention;
    return spec;
  });
}

/** Reads and validates a rules file; every problem names the file by the path it was given. */
export function loadRulesFile(path: string): RuleSpec[] {
  let text: string;
  try {
    text = readFileSync(path, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? "error";
    throw new RulesFileError([{ file: path, line: null, field: "", message: `cannot be read (${code})` }]);
  }
  return parseRules(text, path);
}
