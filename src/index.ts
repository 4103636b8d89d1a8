// Process entry point: load .env, validate settings (exit 2 with one line per bad variable), start, and
// shut down cleanly on SIGTERM/SIGINT.
import { readConfigOrExit } from "./config.js";
import { LEASE_EXIT_CODE, LeaseHeldError } from "./lease/index.js";
import { createLogger, errorFields } from "./log.js";
import { SlackTokenError, startApp } from "./main.js";
import { RulesFileError, formatProblem } from "./rules/index.js";
import { AccountsError } from "./accounts/registry.js";
import { TrailwatchError } from "./aws/errors.js";

const config = readConfigOrExit();

const logger = createLogger(config.logLevel);
try {
  const running = await startApp(config, {
    logger,
    onFatal: (err) => {
      process.stderr.write(`trailwatch: configuration error: ${err.message}\n`);
      process.exit(2);
    },
    onLeaseLost: (err) => {
      // Stop polling and delivering at once: the instance that took over does both from now on.
      process.stderr.write(`trailwatch: ${err.message}\n`);
      process.exit(LEASE_EXIT_CODE);
    },
  });
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, "shutting down");
    running
      .stop()
      .then(() => process.exit(0))
      .catch((err: unknown) => {
        logger.error(errorFields(err), "error during shutdown");
        process.exit(1);
      });
  };
  process.on("SIGTERM", () => { shutdown("SIGTERM"); });
  process.on("SIGINT", () => { shutdown("SIGINT"); });
  process.on("SIGHUP", () => running.rules.reload("SIGHUP"));
} catch (err) {
  if (err instanceof RulesFileError) {
    for (const p of err.problems) process.stderr.write(`trailwatch: configuration error: RULES_FILE ${formatProblem(p)}\n`);
    process.exit(2);
  }
  if (err instanceof SlackTokenError || err instanceof AccountsError) {
    process.stderr.write(`trailwatch: configuration error: ${err.message}\n`);
    process.exit(2);
  }
  if (err instanceof LeaseHeldError) {
    process.stderr.write(`trailwatch: ${err.message}\n`);
    process.exit(LEASE_EXIT_CODE);
  }
  // PostgreSQL (issue 12): an unreachable database is said in one line (host, port and database, no password).
  if (err instanceof TrailwatchError && err.code === "database-unreachable") {
    process.stderr.write(`trailwatch: ${err.message}\n`);
    process.exit(1);
  }
  logger.fatal(errorFields(err), "start-up failed");
  process.exit(1);
}
