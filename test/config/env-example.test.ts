import { readFileSync } from "node:fs";
import { join } from "node:path";
import dotenv from "dotenv";
import { expect, test } from "vitest";
import { CONFIG_VARIABLES, readConfig } from "../../src/config.js";
import { REPO_ROOT } from "../support/app-process.js";

const example = readFileSync(join(REPO_ROOT, ".env.example"), "utf8");
const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");

test(".env.example documents every variable, each with a comment, and parses as a valid configuration", () => {
  const parsed = dotenv.parse(example);
  for (const v of CONFIG_VARIABLES) {
    expect(Object.keys(parsed), v).toContain(v);
    const lines = example.split("\n");
    const i = lines.findIndex((l) => l.startsWith(`${v}=`));
    expect(lines[i - 1]?.startsWith("#"), `${v} has a comment`).toBe(true);
  }
  expect(() => readConfig(parsed)).not.toThrow();
});

test("the README configuration table names every variable", () => {
  for (const v of CONFIG_VARIABLES) expect(readme, v).toContain(`\`${v}\``);
});
