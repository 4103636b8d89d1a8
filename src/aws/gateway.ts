// What the gateways share: every call goes through `callAws`, so a failure is an AwsCallError naming the IAM
// action, and paged reads walk the SDK's paginators. `calls` counts the requests made (one per page).
import { callAws, AwsCallError } from "./errors.js";

export class CallCounter {
  /** Requests made through this gateway: one per call, one per page read. */
  calls = 0;

  /** One request. */
  protected one<T>(action: string, run: () => Promise<T>): Promise<T> {
    this.calls++;
    return callAws(action, run);
  }

  /** Every page of a paginator, flattened to its items; stops after `limit` items when given. */
  protected async all<P, T>(action: string, pages: AsyncIterable<P>, items: (page: P) => T[] | undefined, limit?: number): Promise<T[]> {
    const out: T[] = [];
    for await (const page of this.pages(action, pages)) {
      out.push(...(items(page) ?? []));
      if (limit !== undefined && out.length >= limit) break;
    }
    return out;
  }

  /** The pages of a paginator, each counted, a failure raised as an AwsCallError. */
  protected async *pages<P>(action: string, pages: AsyncIterable<P>): AsyncGenerator<P> {
    const it = pages[Symbol.asyncIterator]();
    try {
      for (;;) {
        let next: IteratorResult<P>;
        try {
          next = await it.next();
        } catch (err) {
          throw err instanceof AwsCallError ? err : new AwsCallError(action, err);
        }
        if (next.done === true) return;
        this.calls++;
        yield next.value;
      }
    } finally {
      await it.return?.();
    }
  }
}
