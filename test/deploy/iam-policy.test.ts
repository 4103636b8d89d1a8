// The least-privilege policy in deploy/iam-policy.json must allow every AWS call the code makes, and
// nothing it never makes (sts:GetCallerIdentity needs no permission).
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { expect, test } from "vitest";
import { REPO_ROOT } from "../support/app-process.js";

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith(".ts") ? [p] : [];
  });
}

function actionsUsedInCode(): Set<string> {
  const used = new Set<string>();
  for (const file of sourceFiles(join(REPO_ROOT, "src"))) {
    const text = readFileSync(file, "utf8");
    for (const m of text.matchAll(/import\s*\{([^}]*)\}\s*from\s*"@aws-sdk\/client-(iam|cloudtrail)"/g)) {
      const service = m[2] as string;
      for (const raw of (m[1] as string).split(",")) {
        const name = raw.replace(/\btype\b/, "").trim().split(/\s+as\s+/)[0] ?? "";
        const cmd = name.match(/^([A-Z]\w+)Command$/)?.[1] ?? name.match(/^paginate([A-Z]\w+)$/)?.[1];
        if (cmd) used.add(`${service}:${cmd}`);
      }
    }
  }
  // Creating a resource with tags needs the matching Tag* permission too (IAM checks both), though the
  // code sends no Tag*Command for these.
  const implied: Record<string, string> = { "iam:CreateOpenIDConnectProvider": "iam:TagOpenIDConnectProvider", "iam:CreateSAMLProvider": "iam:TagSAMLProvider" };
  for (const [action, tag] of Object.entries(implied)) if (used.has(action)) used.add(tag);
  return used;
}

test("deploy/iam-policy.json grants exactly the AWS actions the code calls", () => {
  const policy = JSON.parse(readFileSync(join(REPO_ROOT, "deploy/iam-policy.json"), "utf8")) as { Statement: { Effect: string; Action: string[] }[] };
  const granted = new Set(policy.Statement.filter((s) => s.Effect === "Allow").flatMap((s) => s.Action));
  const used = actionsUsedInCode();
  expect(used.size).toBeGreaterThan(30);
  expect([...used].filter((a) => !granted.has(a)).sort()).toEqual([]);
  expect([...granted].filter((a) => !used.has(a)).sort()).toEqual([]);
});
