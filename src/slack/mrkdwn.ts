// Text-safety helpers for Slack mrkdwn. Everything that comes from CloudTrail (or any other untrusted
// source) goes through these before it reaches a message, so a value such as `<!channel>`, `<@U123>` or
// `<https://evil|AWS Console>` can never ping anyone or disguise a link, and truncation never cuts an
// HTML entity or a surrogate pair in half. Pure functions, no Slack SDK imports.

/** The marker every truncation ends with. It counts within the limit. */
const ELLIPSIS = "…";

/**
 * Slack's escaping rule: replace `&`, `<` and `>` with their HTML entities. These three are the only
 * characters Slack treats as control sequences (`<!channel>`, `<@U…>`, `<url|label>`).
 */
export function escapeMrkdwn(s: string): string {
  return s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
}

// Characters that break a single line or can make one value look like another.
// - line breaks and tabs become a space;
// - other C0/C1 controls, bidi overrides/isolates/marks and zero-width characters become U+FFFD, a
//   visible marker, so tampering is noticeable rather than silently hidden.
const LINE_BREAKS = /[\t\n\v\f\r\u0085\u2028\u2029]/g;
// eslint-disable-next-line no-control-regex
const INVISIBLE_OR_CONTROL = /[\u0000-\u0008\u000e-\u001f\u007f-\u0084\u0086-\u009f\u061c\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]/g;
const REPLACEMENT_CHAR = "\uFFFD";

/** Backticks inside a value would end a code span; this look-alike (U+02CB) cannot. */
export const BACKTICK_STANDIN = "\u02CB";

/** Makes a raw value single-line and free of control/bidi/zero-width characters. Does not escape. */
export function sanitizeInline(s: string): string {
  return s.replace(LINE_BREAKS, " ").replace(INVISIBLE_OR_CONTROL, REPLACEMENT_CHAR);
}

/** A raw value made single-line (see {@link sanitizeInline}) and escaped for mrkdwn. */
export function escapeInline(s: string): string {
  return escapeMrkdwn(sanitizeInline(s));
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}

/**
 * Shortens `s` to at most `max` UTF-16 code units (Slack's limits are counted no more strictly than that),
 * ending with "…" when anything was cut. Never splits a surrogate pair.
 */
export function truncate(s: string, max: number): string {
  if (!Number.isFinite(max) || max <= 0) return "";
  if (s.length <= max) return s;
  let cut = max - ELLIPSIS.length;
  if (cut > 0 && isHighSurrogate(s.charCodeAt(cut - 1))) cut -= 1;
  return s.slice(0, Math.max(0, cut)) + ELLIPSIS;
}

/**
 * Truncates text that is ALREADY escaped (contains only `&amp;`/`&lt;`/`&gt;` entities) without ever cutting
 * an entity in half: a partial entity at the cut is dropped whole. Result ≤ max, "…" when cut.
 */
export function truncateEscaped(escaped: string, max: number): string {
  if (!Number.isFinite(max) || max <= 0) return "";
  if (escaped.length <= max) return escaped;
  let cut = max - ELLIPSIS.length;
  if (cut > 0 && isHighSurrogate(escaped.charCodeAt(cut - 1))) cut -= 1;
  let head = escaped.slice(0, Math.max(0, cut));
  const amp = head.lastIndexOf("&");
  if (amp !== -1 && head.indexOf(";", amp) === -1) head = head.slice(0, amp);
  return head + ELLIPSIS;
}

/**
 * Cuts a raw string to max+1 characters before escaping: escaping never shortens and sanitising keeps the
 * length, so the result is truncated exactly as if the whole string had been escaped, but a 100 KB value
 * costs nothing. (A surrogate pair split here lies beyond the final cut.)
 */
function preCut(s: string, max: number): string {
  return s.length > max + 1 ? s.slice(0, Math.max(0, max) + 1) : s;
}

/** Escape first, then truncate safely: a multi-line-capable value bounded to `max` characters. */
export function escapeAndTruncate(s: string, max: number): string {
  return truncateEscaped(escapeMrkdwn(preCut(s, max)), max);
}

/** A raw value made single-line, escaped, then truncated to `max` characters (escaping counted). */
export function inline(s: string, max: number): string {
  return truncateEscaped(escapeInline(preCut(s, max)), max);
}

/**
 * Like {@link inline}, for prose that may use `code` formatting (catalog text, remediation summaries): if the
 * result holds an odd number of backticks (unbalanced input, or a code span cut by truncation), every
 * backtick is replaced by a look-alike so no code span can swallow what follows.
 */
export function prose(s: string, max: number): string {
  const out = inline(s, max);
  return (out.match(/`/g) ?? []).length % 2 === 0 ? out : out.replace(/`/g, BACKTICK_STANDIN);
}

/** What {@link code} renders for an empty value. */
export const EMPTY_CODE = "_(empty)_";

/**
 * Renders a raw value as inline code: single-line, backticks replaced by a look-alike, escaped, and bounded
 * so the whole span (both backticks included) is at most `max` characters (minimum 5).
 */
export function code(s: string, max = 200): string {
  const clean = sanitizeInline(preCut(s, max)).replace(/`/g, BACKTICK_STANDIN);
  if (clean === "") return EMPTY_CODE;
  const body = truncateEscaped(escapeMrkdwn(clean), Math.max(3, max - 2));
  return `\`${body}\``;
}

/** ISO-8601 in UTC without milliseconds, e.g. 2024-05-01T12:00:00Z. "" for an invalid date. */
export function isoSeconds(d: Date): string {
  const t = d.getTime();
  if (Number.isNaN(t)) return "";
  return d.toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * Slack date formatting: `<!date^EPOCH^{date_short_pretty} {time_secs}|fallback>`, shown in each reader's
 * time zone. The fallback (default: ISO time in UTC) is what clients that cannot format dates show.
 * An invalid date renders as the escaped fallback, or "unknown time".
 */
export function slackDate(d: Date, fallback?: string): string {
  const t = d.getTime();
  if (Number.isNaN(t)) return prose(fallback ?? "unknown time", 200);
  const epoch = Math.floor(t / 1000);
  const fb = prose(fallback ?? isoSeconds(d), 200);
  return `<!date^${epoch}^{date_short_pretty} {time_secs}|${fb}>`;
}

/** Slack user ids (U…) and enterprise-grid user ids (W…). Bounded so a junk id cannot bloat a message. */
const SLACK_USER_ID = /^[UW][A-Z0-9]{1,30}$/;

function isSlackUserId(id: string): boolean {
  return SLACK_USER_ID.test(id);
}

/** `<@U…>` for a well-formed Slack user id; anything else is rendered as escaped, bounded text. */
export function userMention(id: string): string {
  return isSlackUserId(id) ? `<@${id}>` : prose(id, 64);
}
