// Small, total helpers for reading untrusted CloudTrail JSON: every function accepts `unknown` and never
// throws. Real records put strings where booleans or null belong ("true", "null"), use odd time formats and
// sometimes lower-case the keys, so the readers below are lenient and return `undefined` when unsure.

/** Length limits for the strings an IamEvent carries (characters, "…" included). */
export const LIMITS = {
  /** ids, names, account ids, regions, error codes. */
  short: 256,
  arn: 512,
  userAgent: 512,
  sourceIp: 512,
  resourceValue: 512,
  errorMessage: 1000,
  parseError: 300,
} as const;

/** Most resources one event lists. */
export const MAX_RESOURCES = 20;

export type JsonObject = Record<string, unknown>;

export function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Reads `obj[key]`, falling back to a case-insensitive key match (some exported records lower-case
 * every key: "principalid", "sessioncontext").
 */
export function field(obj: unknown, key: string): unknown {
  if (!isObject(obj)) return undefined;
  if (Object.hasOwn(obj, key)) return obj[key];
  const lower = key.toLowerCase();
  for (const k of Object.keys(obj)) {
    if (k.toLowerCase() === lower) return obj[k];
  }
  return undefined;
}

/** Cuts `s` to at most `max` characters, ending in "…" when cut; never splits a surrogate pair. */
export function bound(s: string, max: number): string {
  if (s.length <= max) return s;
  let cut = s.slice(0, Math.max(0, max - 1));
  const last = cut.charCodeAt(cut.length - 1);
  if (last >= 0xd800 && last <= 0xdbff) cut = cut.slice(0, -1);
  return `${cut}…`;
}

/** A non-empty string (numbers are accepted and stringified), bounded; otherwise undefined. */
export function text(v: unknown, max: number = LIMITS.short): string | undefined {
  if (typeof v === "string") return v === "" ? undefined : bound(v, max);
  if (typeof v === "number" && Number.isFinite(v)) return bound(String(v), max);
  if (typeof v === "bigint") return bound(v.toString(), max);
  return undefined;
}

/** Like `text`, but the fixture placeholders "null" / "undefined" (any case) also count as absent. */
export function presentText(v: unknown, max: number = LIMITS.short): string | undefined {
  const t = text(v, max);
  if (t === undefined) return undefined;
  const lower = t.trim().toLowerCase();
  return lower === "" || lower === "null" || lower === "undefined" ? undefined : t;
}

/** true / false from a boolean or the strings "true" / "false" (any case, trimmed); otherwise undefined. */
export function bool(v: unknown): boolean | undefined {
  if (typeof v === "boolean") return v;
  if (typeof v === "string") {
    const s = v.trim().toLowerCase();
    if (s === "true") return true;
    if (s === "false") return false;
  }
  return undefined;
}

const TIME_RE =
  /^(\d{4})-(\d{2})-(\d{2})[T ](\d{2}):(\d{2}):(\d{2})(?:[.,](\d+))?\s*(?:(Z|UTC)|([+-])(\d{2})(?::?(\d{2}))?)?$/i;

/**
 * Parses CloudTrail times: ISO 8601 ("2023-07-10T12:07:23Z", with offset or fraction) and the space-separated
 * forms exported by SIEMs ("2025-02-19 20:13:49", "...49.123456789"). A time without a zone is UTC.
 * Also accepts a valid Date, and epoch numbers (milliseconds when ≥ 1e11, else seconds). Anything else: null.
 */
export function parseTime(v: unknown): Date | null {
  if (v instanceof Date) return Number.isNaN(v.getTime()) ? null : new Date(v.getTime());
  if (typeof v === "number") {
    if (!Number.isFinite(v)) return null;
    const d = new Date(Math.abs(v) >= 1e11 ? v : v * 1000);
    return Number.isNaN(d.getTime()) ? null : d;
  }
  if (typeof v !== "string") return null;
  const m = TIME_RE.exec(v.trim());
  if (!m) return null;
  const [, ys, mos, ds, hs, mis, ss, frac, , sign, ohs, oms] = m;
  const y = Number(ys);
  const mo = Number(mos);
  const d = Number(ds);
  const h = Number(hs);
  const mi = Number(mis);
  const s = Number(ss);
  const ms = frac ? Number(frac.slice(0, 3).padEnd(3, "0")) : 0;
  if (mo < 1 || mo > 12 || d < 1 || d > 31 || h > 23 || mi > 59 || s > 60) return null;
  let t = Date.UTC(y, mo - 1, d, h, mi, Math.min(s, 59), ms);
  // Date.UTC rolls 31 February over into March: reject dates that do not exist.
  const check = new Date(t);
  if (check.getUTCFullYear() !== y || check.getUTCMonth() !== mo - 1 || check.getUTCDate() !== d) return null;
  if (sign) {
    const oh = Number(ohs);
    const om = oms ? Number(oms) : 0;
    if (oh > 23 || om > 59) return null;
    const offsetMs = (oh * 60 + om) * 60_000;
    t += sign === "+" ? -offsetMs : offsetMs;
  }
  const out = new Date(t);
  return Number.isNaN(out.getTime()) ? null : out;
}

/** A short, single-line description of a thrown value, for parseError. */
export function describeError(e: unknown): string {
  const msg = e instanceof Error ? e.message : String(e);
  return bound(msg.replace(/\s+/g, " "), 200);
}
