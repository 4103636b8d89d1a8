// The least-privilege policies in deploy/ must match the code: deploy/iam-policy.json allows every AWS call
// the code makes and nothing else. The calls are the gateways' methods (src/aws), each naming its IAM action
// in a table, so a new method without a policy entry fails here. Every write (each API on the executor's
// allow-list, calls.ts) is allowed in a write statement, attach actions only for allow-listed policy ARNs, and every IAM write is denied on
// the bot's own identity. deploy/iam-policy.alert-only.json allows no write at all.
// New remediations add their APIs to ALLOWED_APIS; this test then requires them in the policy and under
// the self-deny, with no list to update here.
import { readFileSync, readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { CLOUDTRAIL_ACTIONS, CloudTrailGateway } from "../../src/aws/cloudtrail-gateway.js";
import { IAM_ACTIONS, IamGateway } from "../../src/aws/iam-gateway.js";
import { ALLOWED_APIS, QUARANTINE_POLICY_ARN } from "../../src/remediation/index.js";
import { REPO_ROOT } from "../support/app-process.js";

interface Statement {
  Sid?: string;
  Effect: "Allow" | "Deny";
  Action?: string[];
  NotAction?: string[];
  Resource: string | string[];
  Condition?: Record<string, Record<string, string | string[]>>;
}
type Policy = { Version: string; Statement: Statement[] };

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sourceFiles(p) : p.endsWith(".ts") ? [p] : [];
  });
}

/** The gateways' tables: every AWS call the code makes goes through a gateway method, and each names its action. */
const GATEWAYS = [
  { name: "IamGateway", proto: IamGateway.prototype, actions: IAM_ACTIONS as Record<string, string> },
  { name: "CloudTrailGateway", proto: CloudTrailGateway.prototype, actions: CLOUDTRAIL_ACTIONS as Record<string, string> },
];

function actionsUsedInCode(): Set<string> {
  const used = new Set(GATEWAYS.flatMap((g) => Object.values(g.actions)));
  for (const [action, tag] of Object.entries(IMPLIED_TAGS)) if (used.has(action)) used.add(tag);
  return used;
}

/** `service:Operation` for every SDK command or paginator a file imports from the IAM or CloudTrail client. */
function sdkOperationsImported(text: string): Set<string> {
  const ops = new Set<string>();
  for (const m of text.matchAll(/import\s*(?:type\s*)?\{([^}]*)\}\s*from\s*"@aws-sdk\/client-(iam|cloudtrail)"/g)) {
    const service = m[2] as string;
    for (const raw of (m[1] as string).split(",")) {
      if (/^\s*type\b/.test(raw)) continue;
      const name = raw.trim().split(/\s+as\s+/)[0] ?? "";
      const op = name.match(/^([A-Z]\w+)Command$/)?.[1] ?? name.match(/^paginate([A-Z]\w+)$/)?.[1];
      if (op) ops.add(`${service}:${op}`);
    }
  }
  return ops;
}

describe("the AWS gateways declare the actions the policy must grant", () => {
  test.each(GATEWAYS)("every $name method has an IAM action in its table, and every entry is a method", ({ proto, actions }) => {
    const methods = Object.getOwnPropertyNames(proto).filter((n) => n !== "constructor");
    expect(methods.length).toBeGreaterThan(5);
    expect(methods.filter((m) => !Object.hasOwn(actions, m))).toEqual([]);
    expect(Object.keys(actions).filter((k) => !methods.includes(k))).toEqual([]);
  });

  test("the gateways send exactly the operations their tables name", () => {
    const imported = new Set(["iam-gateway.ts", "cloudtrail-gateway.ts"].flatMap((f) => [...sdkOperationsImported(readFileSync(join(REPO_ROOT, "src", "aws", f), "utf8"))]));
    const declared = new Set(GATEWAYS.flatMap((g) => Object.values(g.actions)));
    expect([...imported].filter((a) => !declared.has(a)).sort()).toEqual([]);
    expect([...declared].filter((a) => !imported.has(a)).sort()).toEqual([]);
  });

  test("no code outside src/aws sends an AWS command or pages an AWS list itself", () => {
    const outside = sourceFiles(join(REPO_ROOT, "src")).filter((f) => !f.startsWith(join(REPO_ROOT, "src", "aws")));
    const offenders = outside.filter((f) => {
      const text = readFileSync(f, "utf8");
      return /\.send\(new \w+Command\(/.test(text) || sdkOperationsImported(text).size > 0;
    });
    expect(offenders.map((f) => f.slice(REPO_ROOT.length + 1))).toEqual([]);
  });

  test("every API on the executor's allow-list is a gateway method", () => {
    const declared = new Set(GATEWAYS.flatMap((g) => Object.values(g.actions)));
    expect(Object.entries(ALLOWED_APIS).map(([api, spec]) => `${spec.service}:${api}`).filter((a) => !declared.has(a))).toEqual([]);
  });
});

// Creating a resource with tags needs the matching Tag* permission too (IAM checks both), though the code
// sends no Tag*Command for these. They are writes: they sit with the writes and under the self-deny.
const IMPLIED_TAGS: Record<string, string> = { "iam:CreateOpenIDConnectProvider": "iam:TagOpenIDConnectProvider", "iam:CreateSAMLProvider": "iam:TagSAMLProvider" };

/**
 * Every write the executor can send, as IAM actions (the executor's allow-list is the source of truth), plus
 * the Tag* actions IAM checks when one of them creates a tagged resource.
 */
const writeActions = (): string[] => {
  const sent = Object.entries(ALLOWED_APIS).map(([api, spec]) => `${spec.service}:${api}`);
  const implied = Object.entries(IMPLIED_TAGS).filter(([create]) => sent.includes(create)).map(([, tag]) => tag);
  return [...new Set([...sent, ...implied])].sort();
};

const load = (file: string) => JSON.parse(readFileSync(join(REPO_ROOT, "deploy", file), "utf8")) as Policy;
const glob = (pattern: string, value: string) =>
  new RegExp(`^${pattern.replace(/[.+^${}()|[\]\\]/g, "\\$&").replace(/\*/g, ".*")}$`, "i").test(value);
const allowed = (p: Policy) => p.Statement.filter((s) => s.Effect === "Allow").flatMap((s) => s.Action ?? []);
const ATTACH = ["iam:AttachUserPolicy", "iam:AttachGroupPolicy", "iam:AttachRolePolicy"];

describe("deploy/iam-policy.json", () => {
  const policy = load("iam-policy.json");

  test("grants exactly the AWS actions the code calls", () => {
    const granted = new Set(allowed(policy));
    const used = actionsUsedInCode();
    expect(used.size).toBeGreaterThan(30);
    expect([...used].filter((a) => !granted.has(a)).sort()).toEqual([]);
    expect([...granted].filter((a) => !used.has(a)).sort()).toEqual([]);
  });

  test("no action is allowed twice, and no Allow uses NotAction, NotResource or an action wildcard", () => {
    const all = allowed(policy);
    expect(all.length).toBe(new Set(all).size);
    for (const s of policy.Statement.filter((x) => x.Effect === "Allow")) {
      expect(s.NotAction).toBeUndefined();
      expect(Object.keys(s)).not.toContain("NotResource");
      expect((s.Action ?? []).filter((a) => a.includes("*"))).toEqual([]);
    }
  });

  test("every write is allowed only in a write statement; reads never sit with writes", () => {
    const writes = new Set(writeActions());
    for (const s of policy.Statement.filter((x) => x.Effect === "Allow")) {
      const w = (s.Action ?? []).filter((a) => writes.has(a));
      if (w.length > 0) expect(s.Action?.filter((a) => !writes.has(a)), `statement ${s.Sid ?? "?"} mixes reads and writes`).toEqual([]);
    }
    expect(writeActions().filter((a) => !allowed(policy).includes(a))).toEqual([]);
  });

  test("attach actions are allowed only for allow-listed policy ARNs, the quarantine policy among them, never any policy", () => {
    const attachStatements = policy.Statement.filter((s) => s.Effect === "Allow" && (s.Action ?? []).some((a) => ATTACH.includes(a)));
    expect(attachStatements.length).toBeGreaterThan(0);
    for (const s of attachStatements) {
      expect(s.Action?.sort()).toEqual([...ATTACH].sort());
      const arns = s.Condition?.ArnLike?.["iam:PolicyARN"];
      expect(Array.isArray(arns)).toBe(true);
      const list = arns as string[];
      expect(list).toContain(QUARANTINE_POLICY_ARN);
      for (const arn of list) {
        expect(arn).not.toMatch(/policy\/\*$/);
        expect(arn).not.toBe("*");
        for (const admin of ["AdministratorAccess", "IAMFullAccess", "PowerUserAccess"]) {
          expect(glob(arn, `arn:aws:iam::aws:policy/${admin}`), `${arn} lets the bot attach ${admin}`).toBe(false);
        }
      }
    }
  });

  test("every IAM write the code can send is denied on the bot's own identity", () => {
    const deny = policy.Statement.find((s) => s.Sid === "NeverChangeOwnIdentity");
    expect(deny?.Effect).toBe("Deny");
    expect(deny?.Resource).toEqual(["${aws:PrincipalArn}"]);
    const patterns = deny?.Action ?? [];
    const iamWrites = writeActions().filter((a) => a.startsWith("iam:"));
    expect(iamWrites.length).toBeGreaterThan(5);
    expect(iamWrites.filter((a) => !patterns.some((p) => glob(p, a)))).toEqual([]);
    // ...and the deny names no read, so the bot can still read its own identity.
    for (const read of actionsUsedInCode()) {
      if (!iamWrites.includes(read) && read.startsWith("iam:") && read !== "iam:GenerateCredentialReport") {
        expect(patterns.some((p) => glob(p, read)), `${read} is denied`).toBe(false);
      }
    }
  });
});

describe("the role in each watched account", () => {
  /** The actions of every gateway call under src/audit: what `/iam-audit report <account>` and `user` send there. */
  function auditActions(): string[] {
    const tables: Record<string, Record<string, string>> = { iamGateway: IAM_ACTIONS, cloudTrailGateway: CLOUDTRAIL_ACTIONS };
    const out = new Set<string>();
    for (const f of sourceFiles(join(REPO_ROOT, "src", "audit"))) {
      for (const m of readFileSync(f, "utf8").matchAll(/\b(iamGateway|cloudTrailGateway)\([^)]*\)\s*\.(\w+)\(/g)) {
        const action = tables[m[1] as string]?.[m[2] as string];
        expect(action, `${m[1] as string}.${m[2] as string} has no action`).toBeDefined();
        out.add(action as string);
      }
    }
    return [...out].sort();
  }

  test("the README gives it deploy/iam-policy.json, which grants every call the posture report and user lookup make there", () => {
    const readme = readFileSync(join(REPO_ROOT, "README.md"), "utf8");
    expect(readme).toMatch(/role\s+in each watched account needs \[`deploy\/iam-policy\.json`\]/);
    const actions = auditActions();
    expect(actions).toEqual(expect.arrayContaining(["iam:GenerateCredentialReport", "iam:GetCredentialReport", "iam:GetAccountPasswordPolicy", "iam:GetAccountSummary", "iam:GetUser", "cloudtrail:DescribeTrails"]));
    for (const file of ["iam-policy.json", "iam-policy.alert-only.json"]) {
      const granted = new Set(allowed(load(file)));
      expect(actions.filter((a) => !granted.has(a)), file).toEqual([]);
    }
  });
});

describe("deploy/iam-policy.alert-only.json", () => {
  const policy = load("iam-policy.alert-only.json");

  test("allows polling and the audit, and no write at all", () => {
    const granted = allowed(policy);
    expect(granted).toContain("cloudtrail:LookupEvents");
    const used = actionsUsedInCode();
    expect(granted.filter((a) => !used.has(a))).toEqual([]);
    const writes = writeActions();
    expect(granted.filter((a) => writes.includes(a) || writes.some((w) => glob(a, w)))).toEqual([]);
    expect(granted.filter((a) => a.includes("*"))).toEqual([]);
  });

  test("its statements are the full policy's polling and audit statements, unchanged", () => {
    const full = load("iam-policy.json");
    for (const s of policy.Statement) {
      expect(full.Statement.find((f) => f.Sid === s.Sid)).toEqual(s);
    }
  });
});
