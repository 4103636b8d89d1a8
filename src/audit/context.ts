// What every check gets: the clients, "now", and a way to call AWS that records failures per check.
import type { AuditCheckError, AuditCheckName, AuditDeps, AuditFinding } from "./types.js";
import { AuditCallError, toCheckError, type AwsService } from "./errors.js";

export const DEFAULT_CREDENTIAL_REPORT_WAIT_MS = 20_000;

export interface CheckContext {
  readonly check: AuditCheckName;
  readonly deps: AuditDeps;
  readonly now: Date;
  readonly findings: AuditFinding[];
  readonly errors: AuditCheckError[];
  /** Runs one AWS call; on failure throws AuditCallError carrying the AuditCheckError for this check. */
  call<T>(service: AwsService, api: string, fn: () => Promise<T>): Promise<T>;
  /** Records a non-fatal error once per (api, errorName), so a denial repeated per user is reported once. */
  recordError(info: AuditCheckError): void;
}

export function createContext(check: AuditCheckName, deps: AuditDeps, now: Date): CheckContext {
  const findings: AuditFinding[] = [];
  const errors: AuditCheckError[] = [];
  const seen = new Set<string>();
  return {
    check,
    deps,
    now,
    findings,
    errors,
    async call<T>(service: AwsService, api: string, fn: () => Promise<T>): Promise<T> {
      try {
        return await fn();
      } catch (err) {
        if (err instanceof AuditCallError) throw err;
        throw new AuditCallError(toCheckError(check, service, api, err), err);
      }
    },
    recordError(info: AuditCheckError): void {
      const key = `${info.api}\u0000${info.errorName}`;
      if (seen.has(key)) return;
      seen.add(key);
      errors.push(info);
    },
  };
}

export function defaultSleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

export const DAY_MS = 86_400_000;

/** Whole days from `from` to `to`, comparing UTC instants (never negative). */
export function wholeDaysBetween(from: Date, to: Date): number {
  return Math.max(0, Math.floor((to.getTime() - from.getTime()) / DAY_MS));
}

/** Runs `fn` over `items` with at most `limit` in flight, keeping order of results. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    for (;;) {
      const i = next++;
      if (i >= items.length) return;
      results[i] = await fn(items[i] as T);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, () => worker()));
  return results;
}
