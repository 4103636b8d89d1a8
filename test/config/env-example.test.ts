import { readFileSync } from "node:fs";
import { join } from "node:path";
import dotenv from "dotenv";
import { expect, test } from "vitest";
import { CONFIG_VARIABLES, ConfigError, readConfig } from "../../src/config.js";
import { REPO_ROOT } from "../support/app-process.js";

const example = readFileSync(join(REPO_ROOT, ".env.example"), "utf8");
const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");

test(".env.example documents every variable, each with a comment, and parses as a valid configuration once the secret is filled in", () => {
  const parsed = dotenv.parse(example);
  for (const v of CONFIG_VARIABLES) {
    expect(Object.keys(parsed), v).toContain(v);
    const lines = example.split("\n");
    const i = lines.findIndex((l) => l.startsWith(`${v}=`));
    expect(lines[i - 1]?.startsWith("#"), `${v} has a comment`).toBe(true);
  }
  // The signing secret is a placeholder users must replace; with a real-looking one, the rest is valid as is.
  expect(() => readConfig({ ...parsed, SLACK_SIGNING_SECRET: "8f14e45fceea167a5a36dedd4bea2543" })).not.toThrow();
});

test("the raw .env.example is refused, naming SLACK_SIGNING_SECRET and nothing else", () => {
  const parsed = dotenv.parse(example);
  let problems: string[] = [];
  try {
    readConfig(parsed);
  } catch (err) {
    if (!(err instanceof ConfigError)) throw err;
    problems = err.problems;
  }
  expect(problems).toHaveLength(1);
  expect(problems[0]).toMatch(/^SLACK_SIGNING_SECRET must be the app's signing secret/);
});

test("the README configuration table names every variable", () => {
  for (const v of CONFIG_VARIABLES) expect(readme, v).toContain(`\`${v}\``);
});
