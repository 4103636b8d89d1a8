// userPosture: one IAM user's credentials (console password, MFA, access keys) and the audit findings
// that concern that user, looked up live by user name or IAM user ARN.
import type { User } from "@aws-sdk/client-iam";
import { createContext, type CheckContext } from "./context.js";
import { accessKeyFindings, loadAccessKeys } from "./checks/access-keys.js";
import { userNoMfaFinding } from "./checks/console-users-mfa.js";
import { AuditCallError, isNotFound } from "./errors.js";
import { sortFindings } from "./sort.js";
import type { AuditCheckError, AuditDeps, AuditFinding, MfaDevicePosture, UserPosture } from "./types.js";
import { iamGateway } from "../aws/iam-gateway.js";
import { TrailwatchError } from "../errors.js";

const USER_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):user(\/(?:[^/]+\/)*)([^/]+)$/;
const USER_NAME = /^[\w+=,.@-]{1,64}$/;

export type ParsedUserRef =
  | { ok: true; userName: string; arn?: string }
  | { ok: false; reason: "not-a-user-arn" | "invalid-name" };

/** "alice" -> alice; "arn:aws:iam::123456789012:user/eng/alice" -> alice (and the ARN to match). */
export function parseUserRef(nameOrArn: string): ParsedUserRef {
  const q = nameOrArn.trim();
  if (q.startsWith("arn:")) {
    const m = USER_ARN.exec(q);
    const name = m?.[3];
    if (!name) return { ok: false, reason: "not-a-user-arn" };
    if (!USER_NAME.test(name)) return { ok: false, reason: "invalid-name" };
    return { ok: true, userName: name, arn: q };
  }
  if (!USER_NAME.test(q)) return { ok: false, reason: "invalid-name" };
  return { ok: true, userName: q };
}

/**
 * Thrown by userPosture when the user cannot be looked up at all (GetUser failed with anything but
 * NoSuchEntity, e.g. AccessDenied); `info` names the missing permission.
 */
export class UserPostureError extends TrailwatchError {
  readonly info: AuditCheckError;
  constructor(info: AuditCheckError, cause: unknown) {
    super("user-posture-failed", `${info.api}: ${info.errorName}: ${info.message}`, { cause });
    this.info = info;
  }
}

export async function userPosture(deps: AuditDeps, nameOrArn: string): Promise<UserPosture> {
  const query = nameOrArn;
  const ref = parseUserRef(nameOrArn);
  if (!ref.ok) return { exists: false, query, reason: ref.reason };
  const now = (deps.now ?? (() => new Date()))();
  const { iam } = deps;

  // GetUser and the MFA/login-profile lookups feed console-users-mfa; keys feed access-keys.
  const mfaCtx = createContext("console-users-mfa", deps, now);
  const keyCtx = createContext("access-keys", deps, now);

  let user: User | undefined;
  try {
    const res = await mfaCtx.call("iam", "GetUser", () => iamGateway(iam).getUser(ref.userName));
    user = res.User;
  } catch (err) {
    if (err instanceof AuditCallError) {
      if (isNotFound(err.cause)) {
        return { exists: false, query, reason: "not-found", userName: ref.userName };
      }
      throw new UserPostureError(err.info, err.cause);
    }
    throw err;
  }
  // An ARN names a path and an account as well: a user of that name elsewhere is not the one asked for.
  if (!user || (ref.arn !== undefined && user.Arn !== ref.arn)) {
    return { exists: false, query, reason: "not-found", userName: ref.userName };
  }
  const userName = user.UserName ?? ref.userName;

  const [consolePassword, mfaDevices, keys] = await Promise.all([
    loadLoginProfile(mfaCtx, userName, user),
    loadMfaDevices(mfaCtx, userName),
    loadAccessKeys(keyCtx, iam, userName, (e) => { keyCtx.recordError(e.info); }).catch((err: unknown) => {
      if (!(err instanceof AuditCallError)) throw err;
      keyCtx.recordError(err.info);
      return undefined;
    }),
  ]);

  const findings: AuditFinding[] = [];
  if (consolePassword.enabled && mfaDevices !== undefined && mfaDevices.length === 0) {
    findings.push(userNoMfaFinding(userName, consolePassword.lastUsed));
  }
  if (keys) findings.push(...accessKeyFindings(userName, keys.keys, keys.lastUsedKnown, now));

  const out: UserPosture = {
    exists: true,
    query,
    userName,
    userId: user.UserId ?? "",
    arn: user.Arn ?? "",
    path: user.Path ?? "/",
    consolePassword,
    mfaDevices: mfaDevices ?? [],
    accessKeys: keys?.keys ?? [],
    findings: sortFindings(findings),
    errors: [...mfaCtx.errors, ...keyCtx.errors],
  };
  if (user.CreateDate) out.created = user.CreateDate;
  return out;
}

async function loadLoginProfile(
  ctx: CheckContext,
  userName: string,
  user: User,
): Promise<{ enabled: boolean; created?: Date; lastUsed?: Date; resetRequired?: boolean }> {
  const out: { enabled: boolean; created?: Date; lastUsed?: Date; resetRequired?: boolean } = { enabled: false };
  if (user.PasswordLastUsed) out.lastUsed = user.PasswordLastUsed;
  try {
    const res = await ctx.call("iam", "GetLoginProfile", () => iamGateway(ctx.deps.iam).getLoginProfile(userName));
    out.enabled = true;
    if (res.LoginProfile?.CreateDate) out.created = res.LoginProfile.CreateDate;
    if (res.LoginProfile?.PasswordResetRequired !== undefined) out.resetRequired = res.LoginProfile.PasswordResetRequired;
  } catch (err) {
    if (!(err instanceof AuditCallError)) throw err;
    if (!isNotFound(err.cause)) ctx.recordError(err.info);
  }
  return out;
}

/** undefined when ListMFADevices failed (recorded), so "no MFA" is not claimed without evidence. */
async function loadMfaDevices(ctx: CheckContext, userName: string): Promise<MfaDevicePosture[] | undefined> {
  const devices: MfaDevicePosture[] = [];
  try {
    for (const d of await ctx.call("iam", "ListMFADevices", () => iamGateway(ctx.deps.iam).listMFADevices(userName))) {
      if (!d.SerialNumber) continue;
      const dev: MfaDevicePosture = { serialNumber: d.SerialNumber };
      if (d.EnableDate) dev.enabled = d.EnableDate;
      devices.push(dev);
    }
  } catch (err) {
    if (!(err instanceof AuditCallError)) throw err;
    ctx.recordError(err.info);
    return undefined;
  }
  return devices;
}
