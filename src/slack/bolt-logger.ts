// Routes Bolt's own log lines into the app's structured pino logger.
import { LogLevel, type Logger as BoltLogger } from "@slack/bolt";
import { redactTokens, type Logger } from "../log.js";

export function boltLogger(logger: Logger, component = "bolt"): BoltLogger {
  const child = logger.child({ component });
  const text = (msg: unknown[]) => redactTokens(msg.map((m) => (m instanceof Error ? m.message : typeof m === "string" ? m : JSON.stringify(m))).join(" "));
  let level = LogLevel.INFO;
  return {
    debug: (...msg: unknown[]) => child.debug(text(msg)),
    info: (...msg: unknown[]) => child.info(text(msg)),
    warn: (...msg: unknown[]) => child.warn(text(msg)),
    error: (...msg: unknown[]) => child.error(text(msg)),
    setLevel: (l: LogLevel) => {
      level = l;
    },
    getLevel: () => level,
    setName: () => undefined,
  };
}
