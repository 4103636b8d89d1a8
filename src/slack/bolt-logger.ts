// Routes Bolt's, the Web API client's and Socket Mode's own log lines into the app's structured pino
// logger. Their debug output prints whole payloads (response_url, token, trigger_id), so every line is
// scrubbed here as well as by the logger's final pass.
import { LogLevel, type Logger as BoltLogger } from "@slack/bolt";
import { redactSecrets, type Logger } from "../log.js";

export function boltLogger(logger: Logger, component = "bolt"): BoltLogger {
  const child = logger.child({ component });
  const text = (msg: unknown[]) => redactSecrets(msg.map((m) => (m instanceof Error ? m.message : typeof m === "string" ? m : JSON.stringify(m))).join(" "));
  let level = LogLevel.INFO;
  return {
    debug: (...msg: unknown[]) => { child.debug(text(msg)); },
    info: (...msg: unknown[]) => { child.info(text(msg)); },
    warn: (...msg: unknown[]) => { child.warn(text(msg)); },
    error: (...msg: unknown[]) => { child.error(text(msg)); },
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}
