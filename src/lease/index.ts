// Keeping the lease: renew on a timer, and report a lost lease once so the caller stops working.
import type { Logger } from "../log.js";
import { errorFields } from "../log.js";
import { LeaseLostError, type Leadership } from "./types.js";

export * from "./types.js";
export { SqliteLeadership } from "./sqlite.js";
export { PostgresLeadership } from "./postgres.js";

export interface LeaseKeeper {
  stop(): void;
}

/**
 * Renews every `intervalMs` (a third of the lease, so two missed renewals still leave it ours). A renewal
 * that finds the lease taken calls onLost once. An error renewing (disk full, database locked) is logged and
 * retried; two in a row also count as lost, because by the third interval the lease may have expired and
 * another instance may already poll.
 */
export function keepLease(
  lease: Leadership,
  opts: { intervalMs: number; logger: Logger; onLost: (err: LeaseLostError) => void; setInterval?: typeof setInterval; clearInterval?: typeof clearInterval },
): LeaseKeeper {
  const set = opts.setInterval ?? setInterval;
  const clear = opts.clearInterval ?? clearInterval;
  // Set by stop() too, so a renewal answered after a clean release is not mistaken for a loss.
  let lost = false;
  let busy = false;
  let errors = 0;
  const lose = () => {
    lost = true;
    clear(timer);
    opts.onLost(new LeaseLostError(lease.resource, lease.lostReason));
  };
  const timer = set(() => {
    if (lost || busy) return;
    busy = true;
    lease
      .renew()
      .then((ok) => {
        errors = 0;
        if (!ok && !lost) lose();
      })
      .catch((err: unknown) => {
        errors++;
        opts.logger.error({ ...errorFields(err), consecutiveErrors: errors }, "could not renew the poller lease");
        if (errors >= 2 && !lost) lose();
      })
      .finally(() => {
        busy = false;
      });
  }, opts.intervalMs);
  (timer as { unref?: () => void }).unref?.();
  return {
    stop() {
      lost = true;
      clear(timer);
    },
  };
}
