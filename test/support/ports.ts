// Free loopback ports for servers started by tests.
//
// Asking the OS for port 0 and handing that number to another process is racy twice over: the number comes
// from the ephemeral range, which every outgoing connection on the machine also draws from, and test files
// running in parallel can be handed the same number before either binds it (seen as EADDRINUSE under load).
// So ports come from below the ephemeral range (Linux: 32768-60999), from a slice of its own for each vitest
// worker, starting at a random offset, and each candidate is checked on every interface before it is used.
import { createServer } from "node:net";

const BASE = 20_000;
const SLICE = 1_500;
const poolId = Number(process.env.VITEST_POOL_ID ?? "0") || 0;
const sliceStart = BASE + (poolId % 8) * SLICE;
let cursor = Math.floor(Math.random() * SLICE);

/** False when something holds the port on `host`; an interface the host lacks (no IPv6) does not count. */
function bindable(port: number, host: string): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = createServer();
    srv.unref();
    srv.once("error", (err: NodeJS.ErrnoException) => { resolve(err.code !== "EADDRINUSE" && err.code !== "EACCES"); });
    srv.listen({ port, host, exclusive: true }, () => srv.close(() => { resolve(true); }));
  });
}

export async function freePort(): Promise<number> {
  for (let tries = 0; tries < SLICE; tries++) {
    const port = sliceStart + (cursor++ % SLICE);
    // "::" covers IPv4 too on a dual-stack host (the app listens there); 127.0.0.1 is checked on its own in
    // case IPv6 is off.
    if ((await bindable(port, "127.0.0.1")) && (await bindable(port, "::"))) return port;
  }
  throw new Error(`no free port in ${sliceStart}-${sliceStart + SLICE - 1}`);
}
