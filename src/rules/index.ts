// The rules in force: MUTE_* shorthand plus RULES_FILE, reloaded on SIGHUP or when the file changes.
// A file that fails validation never replaces the rules in force; the reload says so in the log.
import { watch, type FSWatcher } from "node:fs";
import { basename, dirname, resolve } from "node:path";
import type { Decision } from "../detect/types.js";
import type { NoiseSettings } from "../detect/noise.js";
import type { Severity } from "../domain.js";
import type { IamEvent } from "../domain.js";
import { errorFields, type Logger } from "../log.js";
import { effectiveRules, type RuleOutcome, type RuleSet } from "./engine.js";
import { formatProblem, loadRulesFile, RulesFileError } from "./file.js";

export { RuleSet, effectiveRules, type RuleSpec } from "./engine.js";
export { RulesFileError, formatProblem, loadRulesFile, parseRules } from "./file.js";

/** An alert decision after the rules: what is stored on the alert record. */
export interface RuledAlert {
  severity: Severity;
  /** The severity detection gave, before a rule's override. */
  detectedSeverity: Severity;
  severityReason: string;
  suppressed: boolean;
  suppressedReason?: string;
  rule?: string;
  route?: string;
  mention?: string;
}

/** Applies the first matching rule to an alert decision. */
export function applyRules(ev: IamEvent, decision: Extract<Decision, { alert: true }>, rules: RuleSet): RuledAlert {
  const out: RuleOutcome | undefined = rules.evaluate({ event: ev, outcome: decision.outcome, severity: decision.severity });
  const ruled: RuledAlert = {
    severity: out?.severity ?? decision.severity,
    detectedSeverity: decision.severity,
    severityReason: decision.severityReason,
    suppressed: out?.suppressed ?? false,
  };
  if (!out) return ruled;
  ruled.rule = out.rule;
  if (out.reason) ruled.suppressedReason = out.reason;
  if (out.route) ruled.route = out.route;
  if (out.mention) ruled.mention = out.mention;
  if (out.severity !== decision.severity) {
    ruled.severityReason = `${decision.severityReason} (severity set to ${out.severity} by rule ${out.rule}; detected ${decision.severity})`;
  }
  return ruled;
}

export interface RulesSource {
  current(): RuleSet;
}

/** Holds the rules in force and reloads them from RULES_FILE. */
export class Rules implements RulesSource {
  private set: RuleSet;
  private watcher: FSWatcher | null = null;
  private timer: NodeJS.Timeout | null = null;

  /** Throws RulesFileError when the file is invalid: at start-up that is a configuration error. */
  constructor(
    private readonly noise: NoiseSettings,
    readonly file: string | undefined,
    private readonly logger?: Logger,
  ) {
    this.set = effectiveRules(noise, file ? loadRulesFile(file) : [], file ?? "MUTE_* settings");
  }

  current(): RuleSet {
    return this.set;
  }

  /** Re-reads the file. On any problem the rules in force stay, and the problems are logged. */
  reload(trigger: string): { ok: true; rules: number } | { ok: false; problems: string[] } {
    if (!this.file) return { ok: true, rules: this.set.size };
    try {
      const specs = loadRulesFile(this.file);
      this.set = effectiveRules(this.noise, specs, this.file);
      this.logger?.info({ rulesFile: this.file, rules: specs.length, trigger }, "rules reloaded");
      return { ok: true, rules: specs.length };
    } catch (err) {
      const problems = err instanceof RulesFileError ? err.problems.map(formatProblem) : [errorFields(err).errorMessage];
      this.logger?.error(
        { rulesFile: this.file, trigger, problems },
        "rules file rejected; the previous rules stay in force until the file is fixed",
      );
      return { ok: false, problems };
    }
  }

  /**
   * Reloads when the file changes. The directory is watched, not the file: editors and config management
   * replace files by renaming, which a watch on the old inode would miss. Bursts of change events are
   * debounced into one reload.
   */
  watch(debounceMs = 300): void {
    if (!this.file || this.watcher) return;
    const full = resolve(this.file);
    const name = basename(full);
    try {
      this.watcher = watch(dirname(full), { persistent: false }, (_event, changed) => {
        if (changed !== null && changed !== name) return;
        if (this.timer) clearTimeout(this.timer);
        this.timer = setTimeout(() => {
          this.timer = null;
          this.reload("file changed");
        }, debounceMs);
        this.timer.unref();
      });
      this.watcher.on("error", (err) => this.logger?.warn({ rulesFile: this.file, ...errorFields(err) }, "cannot watch the rules file; reload with SIGHUP"));
    } catch (err) {
      this.logger?.warn({ rulesFile: this.file, ...errorFields(err) }, "cannot watch the rules file; reload with SIGHUP");
    }
  }

  close(): void {
    if (this.timer) clearTimeout(this.timer);
    this.watcher?.close();
    this.watcher = null;
  }
}
