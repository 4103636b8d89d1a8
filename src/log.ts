// Structured JSON logs (pino). One line per event, with the event id as a field; secrets are redacted
// wherever they could appear (config objects, request headers, tokens in error payloads).
import { pino, type Logger } from "pino";

export type { Logger };

export function createLogger(level: string = "info", destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { app: "trailwatch" },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      // Last line of defence at every level: whatever reached the line (a message string, a nested JSON
      // text from Bolt or Socket Mode, a field the paths below miss) is scrubbed before it is written.
      hooks: { streamWrite: redactSecrets },
      redact: {
        paths: [
          "botToken",
          "appToken",
          "signingSecret",
          "*.botToken",
          "*.appToken",
          "*.signingSecret",
          "token",
          "*.token",
          "headers.authorization",
          "*.headers.authorization",
          "*.headers[\"x-slack-signature\"]",
          "credentials",
          "*.credentials",
          // Slack payload fields that let whoever reads the log answer or open views as the bot.
          "response_url",
          "*.response_url",
          "response_urls",
          "*.response_urls",
          "trigger_id",
          "*.trigger_id",
          "*.*.token",
          "*.*.response_url",
          "*.*.trigger_id",
        ],
        censor: "[redacted]",
      },
    },
    destination,
  );
}

/** Serialises an unknown error for a log line without dumping request objects that may carry tokens. */
export function errorFields(err: unknown): { errorName: string; errorMessage: string; errorCode?: string } {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    return {
      errorName: err.name,
      errorMessage: redactSecrets(err.message).slice(0, 1000),
      ...(typeof code === "string" ? { errorCode: code } : {}),
    };
  }
  return { errorName: "NonError", errorMessage: redactSecrets(String(err)).slice(0, 1000) };
}

/** Removes anything that looks like a Slack token from free text. */
export function redactTokens(s: string): string {
  return s.replace(/\bx(ox[abposr]|app)-[A-Za-z0-9-]+/g, "[redacted-token]");
}

const SECRET_KEYS = "response_url|token|trigger_id|signing_secret";
/** `"key":"value"` in JSON, also inside a JSON string (escaped quotes), in any of the secret keys. */
const JSON_SECRET = new RegExp(String.raw`(\\*"(?:${SECRET_KEYS})\\*"\s*:\s*\\*")((?:[^"\\]|\\(?!\\*"))*)`, "g");
/** `key=value` in a form-encoded body or a query string. */
const FORM_SECRET = new RegExp(String.raw`(\b(?:${SECRET_KEYS})=)[^&\s"\\]+`, "g");
/** Incoming-webhook and response URLs (hooks.slack.com, GovSlack), also with escaped slashes. */
const HOOK_URL = /https?:(?:\\?\/){2}hooks\.slack(?:-gov)?\.com[^\s"'<>\\]*(?:\\\/[^\s"'<>\\]*)*/gi;
/** Trigger ids wherever they appear: `<digits>.<digits>.<hex>`. */
const TRIGGER_ID = /\b\d{6,}\.\d{6,}\.[0-9a-f]{16,}\b/g;

/**
 * Scrubs what lets a log reader act as the bot or answer as it: Slack tokens, response and webhook URLs,
 * `token`, `response_url` and `trigger_id` values (as JSON fields, escaped JSON inside a string, or form
 * fields), and trigger ids.
 */
export function redactSecrets(s: string): string {
  return redactTokens(s)
    .replace(JSON_SECRET, "$1[redacted]")
    .replace(FORM_SECRET, "$1[redacted]")
    .replace(HOOK_URL, "[redacted-url]")
    .replace(TRIGGER_ID, "[redacted-trigger-id]");
}
