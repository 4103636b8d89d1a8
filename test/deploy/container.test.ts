// Docker cannot run on the CI machine, so the container files are checked as text: the Dockerfile's stages,
// user, health check and volume, and compose.yaml as parsed YAML (with its merge keys resolved).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { parse } from "yaml";
import { readConfig } from "../../src/config.js";
import { REPO_ROOT } from "../support/app-process.js";

const read = (f: string) => readFileSync(join(REPO_ROOT, f), "utf8");

/** Instructions per stage, continuation lines joined. */
function stages(dockerfile: string): { from: string; name?: string; instructions: string[] }[] {
  const lines = dockerfile.replace(/\\\n\s*/g, " ").split("\n").map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));
  const out: { from: string; name?: string; instructions: string[] }[] = [];
  for (const line of lines) {
    const m = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (m) out.push({ from: m[1] as string, ...(m[2] ? { name: m[2] } : {}), instructions: [] });
    else out[out.length - 1]?.instructions.push(line);
  }
  return out;
}

describe("Dockerfile", () => {
  const all = stages(read("Dockerfile"));
  const build = all.find((s) => s.name === "build");
  const runtime = all[all.length - 1];

  test("multi-stage on Node 22 slim: compilers and dev dependencies in the build stage only", () => {
    expect(all.length).toBeGreaterThanOrEqual(2);
    for (const s of all) expect(s.from).toMatch(/^node:22(\.\d+)*-slim$/);
    expect(build?.instructions.join("\n")).toMatch(/apt-get install .*python3.*make.*g\+\+/);
    expect(build?.instructions).toContain("RUN npm ci --no-audit --no-fund");
    expect(build?.instructions).toContain("RUN npm run build");
    const r = runtime?.instructions.join("\n") ?? "";
    expect(r).toMatch(/RUN npm ci --omit=dev/);
    expect(r).not.toMatch(/apt-get|g\+\+/);
    expect(r).toContain("COPY --from=build /app/dist ./dist");
    expect(r).toContain("COPY --from=build /app/node_modules/better-sqlite3/build ./node_modules/better-sqlite3/build");
  });

  test("runs as a non-root user, with a HEALTHCHECK on /healthz and the database on a volume", () => {
    const r = runtime?.instructions ?? [];
    const user = r.filter((i) => i.startsWith("USER ")).pop();
    expect(user).toBeDefined();
    expect(user).not.toMatch(/^USER\s+(root|0)(:|$)/);
    // USER comes before the command, so the process never runs as root.
    expect(r.findIndex((i) => i.startsWith("USER "))).toBeLessThan(r.findIndex((i) => i.startsWith("CMD ")));
    const health = r.find((i) => i.startsWith("HEALTHCHECK"));
    expect(health).toMatch(/\/healthz/);
    expect(health).toMatch(/process\.exit\(r\.ok \? 0 : 1\)/);
    expect(r).toContain('VOLUME ["/data"]');
    expect(r.join("\n")).toMatch(/DATABASE_URL=sqlite:\/data\/trailwatch\.db/);
    expect(r).toContain('CMD ["node", "dist/index.js"]');
  });

  test(".dockerignore keeps secrets, local state and node_modules out of the build context", () => {
    const ignored = read(".dockerignore").split("\n").map((l) => l.trim());
    for (const p of [".env", "node_modules", "data", "*.db", ".git"]) expect(ignored).toContain(p);
  });
});

describe("compose.yaml", () => {
  const compose = parse(read("compose.yaml"), { merge: true }) as {
    services: Record<string, { image?: string; build?: string; user?: string; ports?: string[]; environment?: Record<string, string>; healthcheck?: { test: string[] }; depends_on?: Record<string, { condition: string }>; volumes?: string[] }>;
  };
  const replicas = Object.entries(compose.services).filter(([name]) => name.startsWith("trailwatch"));

  test("PostgreSQL and two replicas on distinct host ports, each waiting for a healthy database", () => {
    expect(compose.services.postgres?.image).toMatch(/^postgres:\d+/);
    expect(compose.services.postgres?.healthcheck?.test.join(" ")).toContain("pg_isready");
    expect(replicas).toHaveLength(2);
    const hostPorts = replicas.map(([, s]) => s.ports?.[0]?.split(":")[0]);
    expect(new Set(hostPorts).size).toBe(2);
    for (const [, s] of replicas) {
      expect(s.environment?.DATABASE_URL).toMatch(/^postgres:\/\/trailwatch:.*@postgres:5432\/trailwatch$/);
      expect(s.ports?.[0]).toMatch(/^\d+:3000$/);
      expect(s.depends_on?.postgres?.condition).toBe("service_healthy");
      expect(s.healthcheck?.test.join(" ")).toContain("http://127.0.0.1:3000/healthz");
      expect(s.user).toMatch(/^[1-9]\d*:[1-9]\d*$/);
      expect(s.volumes?.[0]).toMatch(/:\/data$/);
    }
  });

  test("each replica's DATABASE_URL is one this build accepts, and the file says one replica leads", () => {
    for (const [, s] of replicas) {
      const url = (s.environment?.DATABASE_URL ?? "").replace("${POSTGRES_PASSWORD:-change-me}", "change-me");
      expect(readConfig({ SLACK_BOT_TOKEN: "xoxb-1-2-x", SLACK_SIGNING_SECRET: "5ec2e7000000000000000000000000aa", ALERT_CHANNEL_ID: "C0123ABCD", DATABASE_URL: url }).postgresUrl).toBe(url);
    }
    expect(read("compose.yaml")).toMatch(/advisory lock polls, delivers and takes\s+#?\s*snapshots/);
  });
});
