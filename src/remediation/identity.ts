// Who is who: parse principal ARNs and decide whether an actor is the bot itself.
import type { BotIdentity } from "../domain.js";
import type { RemediationParams } from "./types.js";

export type ParsedPrincipal =
  | { kind: "root"; accountId: string }
  | { kind: "user"; accountId: string; userName: string }
  | { kind: "role"; accountId: string; roleName: string }
  | { kind: "assumed-role"; accountId: string; roleName: string; sessionName: string }
  | { kind: "other"; accountId: string };

/** arn:aws:iam::ACC:user/path/NAME, arn:aws:iam::ACC:role/path/NAME, arn:aws:sts::ACC:assumed-role/ROLE/SESSION, arn:aws:iam::ACC:root */
export function parsePrincipalArn(arn: string): ParsedPrincipal | null {
  const m = /^arn:aws[a-z-]*:(iam|sts)::(\d{12}):(.+)$/.exec(arn);
  if (!m) return null;
  const [, service, accountId = "", resource = ""] = m;
  const parts = resource.split("/");
  const head = parts[0];
  if (service === "iam" && resource === "root") return { kind: "root", accountId };
  if (service === "iam" && head === "user" && parts.length >= 2) {
    return { kind: "user", accountId, userName: parts[parts.length - 1] ?? "" };
  }
  if (service === "iam" && head === "role" && parts.length >= 2) {
    return { kind: "role", accountId, roleName: parts[parts.length - 1] ?? "" };
  }
  if (service === "sts" && head === "assumed-role" && parts.length === 3) {
    return { kind: "assumed-role", accountId, roleName: parts[1] ?? "", sessionName: parts[2] ?? "" };
  }
  return { kind: "other", accountId };
}

/**
 * True when contain-actor params name the bot's own principal: the same ARN, the same IAM user, or (for
 * assumed roles) the same role in the same account, whatever the session.
 */
export function isBotPrincipal(params: RemediationParams, bot: BotIdentity): boolean {
  if (params.actorArn && params.actorArn === bot.arn) return true;
  const parsed = parsePrincipalArn(bot.arn);
  if (!parsed) return false;
  const actorAccount = params.accountId ?? bot.accountId;
  if (actorAccount !== parsed.accountId) return false;
  if (params.principalType === "AssumedRole" && (parsed.kind === "assumed-role" || parsed.kind === "role")) {
    return params.roleName === parsed.roleName;
  }
  if (params.principalType === "IAMUser" && parsed.kind === "user") {
    return params.userName === parsed.userName;
  }
  return false;
}

/** The bot's own IAM user name, when the bot runs as an IAM user. */
export function botUserName(bot: BotIdentity | null): string | undefined {
  if (!bot) return undefined;
  const parsed = parsePrincipalArn(bot.arn);
  return parsed?.kind === "user" ? parsed.userName : undefined;
}

/** The bot's own role name, when the bot runs as a role (an assumed-role session or the role itself). */
export function botRoleName(bot: BotIdentity | null): string | undefined {
  if (!bot) return undefined;
  const parsed = parsePrincipalArn(bot.arn);
  return parsed?.kind === "assumed-role" || parsed?.kind === "role" ? parsed.roleName : undefined;
}
