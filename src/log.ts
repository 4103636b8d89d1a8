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
      errorMessage: redactTokens(err.message).slice(0, 1000),
      ...(typeof code === "string" ? { errorCode: code } : {}),
    };
  }
  return { errorName: "NonError", errorMessage: redactTokens(String(err)).slice(0, 1000) };
}

/** Removes anything that looks like a Slack token from free text. */
export function redactTokens(s: string): string {
  return s.replace(/\bx(ox[abposr]|app)-[A-Za-z0-9-]+/g, "[redacted-token]");
}
