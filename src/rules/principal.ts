// Safe principal matching for MUTE_PRINCIPALS and the rules file.
//
// Attackers control IAM paths, and a path may contain ":" and any printable character
// (`/:role/` is a valid path). A glob whose "*" can run over ":" or "/" therefore lets a user named
// `terraform-ci` with path `/:role/` match `arn:aws:iam::*:role/terraform-ci`. Here "*" matches
// within one ARN field and one path segment only, so every literal ":" and "/" of a pattern has to line up
// with the same separator in the ARN; and a principal can also be matched on its parsed parts.
import type { Actor } from "../domain.js";

/** Characters a safe "*" never matches: the ARN field separator and the path separator. */
const SEPARATORS = ":/";

const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

/**
 * Compiles a glob in which `*` matches any run of characters except `:` and `/` (one ARN field, one path
 * segment), `**` any run except `:` (any number of path segments), and every other character is literal.
 */
export function safeGlob(glob: string): RegExp {
  const body = glob
    .split("**")
    .map((part) => part.split("*").map(escape).join(`[^${SEPARATORS}]*`))
    .join("[^:]*");
  return new RegExp(`^${body}$`, "s");
}

/** Compiles a glob whose `*` matches any run of characters (for free text: user agents, resource values). */
export function textGlob(glob: string): RegExp {
  return new RegExp(`^${glob.split("*").map(escape).join("[\\s\\S]*")}$`);
}

/** The parts of a principal, parsed from the CloudTrail userIdentity (never rebuilt from a free-text ARN). */
export interface ParsedPrincipal {
  /** userIdentity.type: IAMUser, AssumedRole, Root, FederatedUser, AWSService, ... */
  type: string;
  account?: string;
  /** IAM user name (IAMUser only; for Root the record's userName is the account alias, not a user). */
  user?: string;
  /** Role name (AssumedRole only, from the session issuer). */
  role?: string;
  /** Role session name (AssumedRole only). */
  session?: string;
  /** The IAM path of the user or role when the ARN carries one, e.g. "/ci/" ("/" when none). */
  path?: string | undefined;
}

/**
 * Splits an ARN into its six fields. The resource field keeps every remaining ":" (IAM paths may hold
 * them), so `arn:aws:iam::1:user/:role/x` has resource `user/:role/x`.
 */
export function splitArn(arn: string): { partition: string; service: string; region: string; account: string; resource: string } | null {
  const m = /^arn:([^:]*):([^:]*):([^:]*):([^:]*):(.*)$/s.exec(arn);
  if (!m) return null;
  return { partition: m[1] ?? "", service: m[2] ?? "", region: m[3] ?? "", account: m[4] ?? "", resource: m[5] ?? "" };
}

/** The path of an IAM user or role ARN resource (`user/a/b/name` -> `/a/b/`). */
function iamPath(resource: string): string | undefined {
  const slash = resource.indexOf("/");
  const last = resource.lastIndexOf("/");
  if (slash < 0) return undefined;
  return resource.slice(slash, last + 1);
}

export function parsePrincipal(actor: Actor): ParsedPrincipal {
  const p: ParsedPrincipal = { type: actor.type };
  const arnParts = actor.arn ? splitArn(actor.arn) : null;
  const account = actor.accountId ?? arnParts?.account;
  if (account) p.account = account;
  if (actor.type === "IAMUser") {
    if (actor.userName) p.user = actor.userName;
    if (arnParts && arnParts.resource.startsWith("user/")) p.path = iamPath(arnParts.resource);
  } else if (actor.type === "AssumedRole") {
    if (actor.roleName) p.role = actor.roleName;
    if (actor.sessionName) p.session = actor.sessionName;
    const roleParts = actor.roleArn ? splitArn(actor.roleArn) : null;
    if (roleParts && roleParts.resource.startsWith("role/")) p.path = iamPath(roleParts.resource);
  }
  return p;
}

/** The ARNs a principal pattern is tried against: the caller's ARN and, for role sessions, the role's ARN. */
export function principalArns(actor: Actor): string[] {
  return [actor.arn, actor.roleArn].filter((s): s is string => typeof s === "string" && s !== "");
}

/** A compiled ARN pattern; `matchActor` returns the ARN that matched, or undefined. */
export interface ArnPattern {
  source: string;
  matchActor(actor: Actor): string | undefined;
}

export function arnPattern(glob: string): ArnPattern {
  const re = safeGlob(glob);
  return {
    source: glob,
    matchActor: (actor) => principalArns(actor).find((arn) => re.test(arn)),
  };
}
