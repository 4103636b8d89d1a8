// Starts the real trailwatch process (src/index.ts, transpiled once per run: see app-build.ts) with a given
// environment, from an empty working directory so no developer .env leaks in, and collects its JSON log lines.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { nodeArgs } from "./app-build.js";

export { REPO_ROOT } from "./app-build.js";

export interface LogLine {
  level: string;
  msg: string;
  [k: string]: unknown;
}

export interface AppProcess {
  url: string;
  proc: ChildProcess;
  logs: LogLine[];
  stderr: () => string;
  stdout: () => string;
  waitForLog(pred: (l: LogLine) => boolean, timeoutMs?: number): Promise<LogLine>;
  waitHealthy(timeoutMs?: number): Promise<void>;
  /** Sends SIGTERM and waits for exit; returns the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL: a crash, no clean shutdown. */
  kill(): Promise<void>;
  exited: Promise<number | null>;
}

/** Environment with every variable the app needs for loopback fakes; tests override what they test. */
export function baseEnv(extra: Record<string, string | undefined>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    LOG_LEVEL: "debug",
    AWS_ACCESS_KEY_ID: "AKIATESTTESTTESTTEST",
    AWS_SECRET_ACCESS_KEY: "test-secret",
    AWS_REGION: "us-east-1",
    // Tests must never reach real AWS or the instance metadata service.
    AWS_EC2_METADATA_DISABLED: "true",
    AWS_SDK_JS_SUPPRESS_NODE_DEPRECATION_WARNING: "true",
  };
  for (const [k, v] of Object.entries(extra)) {
    // eslint-disable-next-line @typescript-eslint/no-dynamic-delete -- an environment variable the test unsets
    if (v === undefined) delete env[k];
    else env[k] = v;
  }
  return env;
}

export function runApp(env: NodeJS.ProcessEnv, opts: { port?: number; cwd?: string } = {}): AppProcess {
  const cwd = opts.cwd ?? mkdtempSync(join(tmpdir(), "trailwatch-app-"));
  const proc = spawn(process.execPath, nodeArgs("src/index.ts"), { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
  const logs: LogLine[] = [];
  let out = "";
  let err = "";
  let partial = "";
  const waiters = new Set<() => void>();
  proc.stdout?.on("data", (d: Buffer) => {
    const s = d.toString();
    out += s;
    partial += s;
    const lines = partial.split("\n");
    partial = lines.pop() ?? "";
    for (const line of lines) {
      if (!line.trim()) continue;
      try {
        logs.push(JSON.parse(line) as LogLine);
      } catch {
        logs.push({ level: "raw", msg: line });
      }
    }
    for (const w of waiters) w();
  });
  proc.stderr?.on("data", (d: Buffer) => {
    err += d.toString();
  });
  const exited = new Promise<number | null>((res) => proc.once("exit", (code) => { res(code); }));
  const port = env.PORT ?? "3000";
  const url = `http://127.0.0.1:${port}`;
  const app: AppProcess = {
    url,
    proc,
    logs,
    stderr: () => err,
    stdout: () => out,
    exited,
    waitForLog(pred, timeoutMs = 30_000) {
      return new Promise((resolveWait, reject) => {
        const check = () => {
          const hit = logs.find(pred);
          if (hit) {
            cleanup();
            resolveWait(hit);
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`log line not seen within ${timeoutMs} ms; last lines:\n${out.split("\n").slice(-15).join("\n")}\nstderr:${err.slice(-2000)}`));
        }, timeoutMs);
        const cleanup = () => {
          clearTimeout(timer);
          waiters.delete(check);
        };
        waiters.add(check);
        check();
      });
    },
    async waitHealthy(timeoutMs = 30_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (proc.exitCode !== null) throw new Error(`app exited with ${proc.exitCode}: ${err.slice(-2000)}${out.slice(-2000)}`);
        try {
          const res = await fetch(`${url}/healthz`);
          if (res.status === 200) return;
        } catch {
          // not listening yet
        }
        if (Date.now() > deadline) throw new Error(`app not healthy within ${timeoutMs} ms: ${err.slice(-2000)}${out.slice(-3000)}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    },
    async stop() {
      if (proc.exitCode !== null) return proc.exitCode;
      proc.kill("SIGTERM");
      const timeout = new Promise<"timeout">((r) => setTimeout(() => { r("timeout"); }, 25_000));
      const res = await Promise.race([exited, timeout]);
      if (res === "timeout") {
        proc.kill("SIGKILL");
        throw new Error("app did not stop within 25 s of SIGTERM");
      }
      return res;
    },
    async kill() {
      if (proc.exitCode !== null) return;
      proc.kill("SIGKILL");
      await exited;
    },
  };
  return app;
}
