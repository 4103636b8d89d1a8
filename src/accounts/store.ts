// Store views for the account layer. A scoped store gives one account's poller its own cursor and stamps the
// account on every alert it records, so the Poller itself stays account-agnostic. The instrumented store counts
// alerts, actions and remediation outcomes for /metrics at the one place they are written.
import { actions, alertsDetected, remediationOutcomes } from "../metrics.js";
import type { NewAlert, Store } from "../store/types.js";
import type { WatchedAccount } from "./registry.js";

function forward(target: Store, prop: string | symbol): unknown {
  const v: unknown = Reflect.get(target, prop, target);
  return typeof v === "function" ? (v as (...a: unknown[]) => unknown).bind(target) : v;
}

/**
 * The store as one account's poller sees it. The own account keeps the original cursor (so a database from
 * before many-account support goes on where it stopped); another account reads and writes its own.
 * `account` is read at each call, since discovery may rename an account.
 */
export function scopedStore(store: Store, account: () => WatchedAccount, showName: boolean): Store {
  return new Proxy(store, {
    get(target, prop) {
      const a = account();
      if (prop === "getPollCursor" && !a.own) return () => target.getAccountPollCursor(a.scope);
      if (prop === "setPollCursor" && !a.own) return (at: Date) => target.setAccountPollCursor(a.scope, at);
      if (prop === "insertAlert") {
        return (alert: NewAlert, now: Date) =>
          target.insertAlert({ ...alert, ...(a.id ? { accountId: a.id } : {}), ...(showName ? { accountName: a.name } : {}) }, now);
      }
      return forward(target, prop);
    },
  });
}

/** The store with metrics counted where alerts, actions and remediation outcomes are written. */
export function instrumentedStore(store: Store): Store {
  return new Proxy(store, {
    get(target, prop) {
      if (prop === "insertAlert") {
        return async (alert: NewAlert, now: Date) => {
          const isNew = await target.insertAlert(alert, now);
          if (isNew) alertsDetected.inc({ severity: alert.severity, event: alert.eventName.slice(0, 64), muted: String(alert.muted) });
          return isNew;
        };
      }
      if (prop === "recordAction") {
        return async (a: Parameters<Store["recordAction"]>[0]) => {
          await target.recordAction(a);
          actions.inc({ action: a.action.slice(0, 64), result: a.result });
        };
      }
      if (prop === "finishRemediationRequest") {
        return async (...[id, state, result]: Parameters<Store["finishRemediationRequest"]>) => {
          await target.finishRemediationRequest(id, state, result);
          const req = await target.getRemediationRequest(id);
          remediationOutcomes.inc({ remediation: req?.remediationId ?? "unknown", outcome: state });
        };
      }
      return forward(target, prop);
    },
  });
}
