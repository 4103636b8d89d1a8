// `trailwatch migrate` and `trailwatch copy-sqlite-to-postgres <file>`: database chores that need only
// DATABASE_URL (not the Slack or AWS settings), so an operator can run them before the first start.
import { isPostgresUrl } from "../config.js";
import { describeUrl } from "../lease/postgres.js";
import { copySqliteToPostgres } from "../store/copy.js";
import { KyselyStore, MigrationError } from "../store/kysely.js";

export const DATABASE_USAGE = `usage: trailwatch migrate
       trailwatch copy-sqlite-to-postgres <sqlite file> [--to postgres://…]

migrate                  applies the schema migrations DATABASE_URL's database has not seen, then exits
                         (the bot also migrates on start; this lets a deployment do it as a separate step)
copy-sqlite-to-postgres  copies a stopped instance's SQLite file into an empty PostgreSQL database
                         (--to, or DATABASE_URL); the target is migrated first`;

type Io = { out: (l: string) => void; err: (l: string) => void };

function databaseUrl(env: NodeJS.ProcessEnv): string {
  return env.DATABASE_URL?.trim() || "sqlite:./data/trailwatch.db";
}

export async function migrateCommand(env: NodeJS.ProcessEnv, io: Io): Promise<number> {
  const url = databaseUrl(env);
  if (isPostgresUrl(url)) {
    try {
      const store = await KyselyStore.openPostgres(url, { migrate: false });
      try {
        const applied = await store.migrate();
        io.out(`${describeUrl(url)}: ${applied.length === 0 ? "schema already up to date" : `applied ${applied.join(", ")}`}`);
      } finally {
        await store.close();
      }
      return 0;
    } catch (e) {
      if (e instanceof MigrationError) {
        io.err(`trailwatch migrate: ${e.message}`);
        return 1;
      }
      io.err(`trailwatch migrate: cannot reach ${describeUrl(url)}: ${(e as Error).message}`);
      return 1;
    }
  }
  if (!url.startsWith("sqlite:")) {
    io.err("trailwatch migrate: DATABASE_URL must be a sqlite: URL such as sqlite:./data/trailwatch.db or a postgres://user:pass@host:port/db URL");
    return 2;
  }
  const path = url.replace(/^sqlite:(\/\/)?/, "") || ":memory:";
  try {
    const store = await KyselyStore.openSqlite(path, { migrate: false });
    try {
      const applied = await store.migrate();
      io.out(`${path}: ${applied.length === 0 ? "schema already up to date" : `applied ${applied.join(", ")}`}`);
    } finally {
      await store.close();
    }
    return 0;
  } catch (e) {
    io.err(`trailwatch migrate: ${(e as Error).message}`);
    return 1;
  }
}

export async function copyCommand(argv: string[], env: NodeJS.ProcessEnv, io: Io): Promise<number> {
  const args = [...argv];
  let to: string | undefined;
  const i = args.indexOf("--to");
  if (i >= 0) {
    to = args[i + 1];
    args.splice(i, 2);
  }
  const [file, ...extra] = args;
  if (!file || extra.length > 0) {
    io.err(DATABASE_USAGE);
    return 2;
  }
  const target = to ?? env.DATABASE_URL?.trim();
  if (!target || !isPostgresUrl(target)) {
    io.err("trailwatch copy-sqlite-to-postgres: name the target with --to postgres://user:pass@host:port/db (or set DATABASE_URL to one)");
    return 2;
  }
  const path = file.replace(/^sqlite:(\/\/)?/, "");
  try {
    const counts = await copySqliteToPostgres(path, target);
    io.out(`copied ${path} to ${describeUrl(target)}:`);
    for (const [t, n] of Object.entries(counts)) io.out(`  ${t.padEnd(22)} ${n}`);
    io.out(`start trailwatch with DATABASE_URL set to the PostgreSQL URL; keep ${path} until you have checked the copy`);
    return 0;
  } catch (e) {
    io.err(`trailwatch copy-sqlite-to-postgres: ${(e as Error).message}`);
    return 1;
  }
}
