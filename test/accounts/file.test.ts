import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { loadAccountsFile, parseAccountsYaml } from "../../src/accounts/file.js";
import type { ConfigError} from "../../src/config.js";
import { readConfig } from "../../src/config.js";
import { baseEnv, runApp } from "../support/app-process.js";
import { freePort } from "../support/ports.js";

const GOOD = `accounts:
  - id: "444455556666"
    name: payments-prod
    roleArn: arn:aws:iam::444455556666:role/trailwatch
    externalId: optional
  - id: "111122223333"
    name: sandbox
    roleArn: arn:aws:iam::111122223333:role/ops/trailwatch
`;

describe("ACCOUNTS_FILE", () => {
  test("the issue's shape parses, externalId optional", () => {
    const { entries, problems } = parseAccountsYaml(GOOD, "accounts.yaml");
    expect(problems).toEqual([]);
    expect(entries).toEqual([
      { id: "444455556666", name: "payments-prod", roleArn: "arn:aws:iam::444455556666:role/trailwatch", externalId: "optional" },
      { id: "111122223333", name: "sandbox", roleArn: "arn:aws:iam::111122223333:role/ops/trailwatch" },
    ]);
  });

  test("each problem names the file, the line and the field", () => {
    const text = `accounts:
  - id: 444455556666
    name: payments-prod
    roleArn: arn:aws:iam::444455556666:role/trailwatch
  - id: "12345"
    name: short
    roleArn: arn:aws:iam::999999999999:role/x
  - id: "111122223333"
    roleArn: arn:aws:iam::111122223333:role/trailwatch
    externalId: "a"
    color: blue
  - id: "111122223333"
    name: again
    roleArn: not-an-arn
`;
    const { entries, problems } = parseAccountsYaml(text, "/etc/tw/accounts.yaml");
    expect(entries).toEqual([]);
    expect(problems).toEqual([
      "ACCOUNTS_FILE /etc/tw/accounts.yaml:2: accounts[0].id must be a quoted string",
      "ACCOUNTS_FILE /etc/tw/accounts.yaml:5: accounts[1].id must be a 12-digit AWS account id",
      "ACCOUNTS_FILE /etc/tw/accounts.yaml:11: accounts[2].color is not a known field (id, name, roleArn, externalId)",
      "ACCOUNTS_FILE /etc/tw/accounts.yaml:8: accounts[2].name is required",
      "ACCOUNTS_FILE /etc/tw/accounts.yaml:10: accounts[2].externalId must be 2-1224 characters of letters, digits and +=,.@:/-_ (value not shown)",
      "ACCOUNTS_FILE /etc/tw/accounts.yaml:14: accounts[3].roleArn must be an IAM role ARN such as arn:aws:iam::444455556666:role/trailwatch",
      "ACCOUNTS_FILE /etc/tw/accounts.yaml:12: accounts[3].id 111122223333 is listed twice (first as accounts[2].id)",
    ]);
  });

  test("a role in another account than the id, invalid YAML, a missing list and a missing file are refused", () => {
    expect(parseAccountsYaml(`accounts:\n  - id: "444455556666"\n    name: p\n    roleArn: arn:aws:iam::111122223333:role/t\n`, "f").problems).toEqual([
      "ACCOUNTS_FILE f:4: accounts[0].roleArn is in account 111122223333, not in accounts[0].id 444455556666",
    ]);
    expect(parseAccountsYaml("accounts: [\n", "f").problems[0]).toMatch(/^ACCOUNTS_FILE f:\d+: not valid YAML/);
    expect(parseAccountsYaml("- id: x\n", "f").problems).toEqual(['ACCOUNTS_FILE f:1: expected a top-level "accounts:" list']);
    expect(loadAccountsFile("/nonexistent/accounts.yaml").problems).toEqual(["ACCOUNTS_FILE /nonexistent/accounts.yaml cannot be read (ENOENT)"]);
  });
});

describe("configuration", () => {
  const base = { SLACK_BOT_TOKEN: "xoxb-1", SLACK_SIGNING_SECRET: "5ec2e7000000000000000000000000aa", ALERT_CHANNEL_ID: "C0123" };
  const problems = (env: Record<string, string>): string[] => {
    try {
      readConfig({ ...base, ...env });
      return [];
    } catch (err) {
      return (err as ConfigError).problems;
    }
  };

  test("ACCOUNTS_FILE is read at start-up; its problems are configuration errors", () => {
    const dir = mkdtempSync(join(tmpdir(), "tw-accounts-"));
    writeFileSync(join(dir, "good.yaml"), GOOD);
    writeFileSync(join(dir, "bad.yaml"), 'accounts:\n  - id: "1"\n    name: x\n    roleArn: arn:aws:iam::111122223333:role/t\n');
    const cfg = readConfig({ ...base, ACCOUNTS_FILE: join(dir, "good.yaml") });
    expect(cfg.accounts).toMatchObject({ source: "file", includeOwnAccount: true });
    expect(cfg.accounts.source === "file" && cfg.accounts.entries.map((e) => e.name)).toEqual(["payments-prod", "sandbox"]);
    expect(problems({ ACCOUNTS_FILE: join(dir, "bad.yaml") })).toEqual([`ACCOUNTS_FILE ${join(dir, "bad.yaml")}:2: accounts[0].id must be a 12-digit AWS account id`]);
  });

  test("ORG_ROLE_NAME, INCLUDE_OWN_ACCOUNT and METRICS_PORT are validated", () => {
    expect(readConfig({ ...base, ORG_ROLE_NAME: "trailwatch" }).accounts).toEqual({ source: "organizations", roleName: "trailwatch", refreshMinutes: 60, includeOwnAccount: true });
    expect(readConfig(base).accounts).toEqual({ source: "own", includeOwnAccount: true });
    expect(problems({ ORG_ROLE_NAME: "arn:aws:iam::1:role/x" })).toEqual(["ORG_ROLE_NAME must be an IAM role name such as trailwatch (no ARN, no path)"]);
    expect(problems({ ORG_ROLE_NAME: "tw", ACCOUNTS_FILE: "/x.yaml" })).toEqual(["ACCOUNTS_FILE and ORG_ROLE_NAME cannot both be set: choose a list of accounts or discovery"]);
    expect(problems({ INCLUDE_OWN_ACCOUNT: "false" })).toEqual(["INCLUDE_OWN_ACCOUNT=false needs ACCOUNTS_FILE or ORG_ROLE_NAME: otherwise no account is watched"]);
    expect(problems({ INCLUDE_OWN_ACCOUNT: "maybe" })).toEqual(["INCLUDE_OWN_ACCOUNT must be true or false"]);
    expect(problems({ METRICS_PORT: "3000" })).toEqual(["METRICS_PORT must differ from PORT (leave it empty to serve /metrics on PORT)"]);
    expect(problems({ METRICS_PORT: "70000" })).toEqual(["METRICS_PORT must be a port number from 1 to 65535"]);
    expect(readConfig({ ...base, METRICS_PORT: "9464" }).metricsPort).toBe(9464);
  });
});

describe("start-up", () => {
  test("the real process stops with exit code 2 and one line naming the file, line and field; the externalId is not printed", async () => {
    const dir = mkdtempSync(join(tmpdir(), "tw-accounts-"));
    const file = join(dir, "accounts.yaml");
    writeFileSync(file, 'accounts:\n  - id: "444455556666"\n    name: payments-prod\n    roleArn: arn:aws:iam::444455556666:role/trailwatch\n    externalId: "x"\n');
    const app = runApp(
      baseEnv({ SLACK_BOT_TOKEN: "xoxb-1", SLACK_SIGNING_SECRET: "5ec2e7000000000000000000000000aa", ALERT_CHANNEL_ID: "C0123", ACCOUNTS_FILE: file, PORT: String(await freePort()) }),
    );
    expect(await app.exited).toBe(2);
    expect(app.stderr().trim()).toBe(
      `trailwatch: configuration error: ACCOUNTS_FILE ${file}:5: accounts[0].externalId must be 2-1224 characters of letters, digits and +=,.@:/-_ (value not shown)`,
    );
  });
});
