// The rules engine: an ordered list of compiled rules, first match wins. A rule matches on the event
// (names, actor, resource, errorCode, account, source IP, user agent, outcome, detected severity) and
// decides what happens to the alert: suppress it (recorded and counted, never posted), route it to a
// channel, override its severity, mention a user group. MUTE_EVENTS, MUTE_PRINCIPALS and MIN_SEVERITY
// compile to rules too (see compileNoiseRules), so there is one decision path.
import { BlockList, isIP } from "node:net";
import { SEVERITY_RANK, SEVERITIES, type IamEvent, type Severity } from "../domain.js";
import type { Outcome } from "../detect/types.js";
import type { NoiseSettings } from "../detect/noise.js";
import { parsePrincipal, principalArns, safeGlob, textGlob } from "./principal.js";

/** The parsed principal match of a rule: every given part must match (safe globs). */
interface PrincipalMatch {
  type?: string | undefined;
  account?: string | undefined;
  user?: string | undefined;
  role?: string | undefined;
  session?: string | undefined;
  path?: string | undefined;
}

/** A rule as written in the rules file (after validation). */
export interface RuleSpec {
  name: string;
  match: {
    events?: string[] | undefined;
    actor?: (string | PrincipalMatch)[] | undefined;
    resource?: string[] | undefined;
    errorCode?: string[] | undefined;
    account?: string[] | undefined;
    sourceIp?: string[] | undefined;
    userAgent?: string[] | undefined;
    outcome?: Outcome[] | undefined;
    severity?: Severity[] | undefined;
  };
  suppress?: boolean;
  route?: string;
  severity?: Severity;
  mention?: string;
}

/** What the winning rule decided for one alert. */
export interface RuleOutcome {
  rule: string;
  suppressed: boolean;
  /** Why it was suppressed, for the record and /iam-audit events. */
  reason?: string;
  route?: string;
  mention?: string;
  /** The severity after the rule's override (the detected one when the rule has none). */
  severity: Severity;
}

export interface RuleInput {
  event: IamEvent;
  outcome: Outcome;
  severity: Severity;
}

type Predicate = (input: RuleInput) => string | false;

export interface CompiledRule {
  spec: RuleSpec;
  /** Returns a short description of what matched, or false. */
  test: (input: RuleInput) => string | false;
}

function anyOf<T>(items: readonly T[], f: (item: T) => string | false): string | false {
  for (const item of items) {
    const hit = f(item);
    if (hit !== false) return hit;
  }
  return false;
}

function principalPredicate(m: PrincipalMatch): (input: RuleInput) => string | false {
  const parts = (Object.entries(m) as [keyof PrincipalMatch, string][]).map(([k, glob]) => [k, safeGlob(glob)] as const);
  return ({ event }) => {
    const p = parsePrincipal(event.actor);
    for (const [k, re] of parts) {
      const v = p[k];
      if (v === undefined || !re.test(v)) return false;
    }
    return `principal ${parts.map(([k]) => `${k}=${p[k] ?? ""}`).join(" ")}`;
  };
}

function cidrList(cidrs: readonly string[]): BlockList {
  const list = new BlockList();
  for (const c of cidrs) {
    const [addr = "", bits] = c.split("/");
    const family = isIP(addr) === 6 ? "ipv6" : "ipv4";
    const prefix = bits === undefined ? (family === "ipv6" ? 128 : 32) : Number(bits);
    list.addSubnet(addr, prefix, family);
  }
  return list;
}

function compileRule(spec: RuleSpec): CompiledRule {
  const preds: Predicate[] = [];
  const m = spec.match;
  if (m.events) {
    const set = new Set(m.events);
    preds.push(({ event }) => (set.has(event.eventName) ? `event ${event.eventName}` : false));
  }
  if (m.actor) {
    const tests = m.actor.map((a): Predicate => {
      if (typeof a === "string") {
        const re = safeGlob(a);
        return ({ event }) => {
          const hit = principalArns(event.actor).find((arn) => re.test(arn));
          return hit ? `actor ${hit}` : false;
        };
      }
      return principalPredicate(a);
    });
    preds.push((input) => anyOf(tests, (t) => t(input)));
  }
  if (m.resource) {
    const res = m.resource.map((g) => safeGlob(g));
    preds.push(({ event }) => anyOf(event.resources, (r) => (res.some((re) => re.test(r.value)) ? `resource ${r.value}` : false)));
  }
  if (m.errorCode) {
    const want = m.errorCode;
    preds.push(({ event }) => {
      const code = event.errorCode?.trim() ?? "";
      const present = code !== "" && code.toLowerCase() !== "null";
      return anyOf(want, (w) => {
        if (w === "present") return present ? `errorCode ${code}` : false;
        if (w === "absent") return present ? false : "no errorCode";
        return present && code === w ? `errorCode ${code}` : false;
      });
    });
  }
  if (m.account) {
    const set = new Set(m.account);
    preds.push(({ event }) => (set.has(event.accountId) ? `account ${event.accountId}` : false));
  }
  if (m.sourceIp) {
    const list = cidrList(m.sourceIp);
    preds.push(({ event }) => {
      const ip = event.sourceIp.trim();
      const family = isIP(ip);
      if (family === 0) return false;
      return list.check(ip, family === 6 ? "ipv6" : "ipv4") ? `source IP ${ip}` : false;
    });
  }
  if (m.userAgent) {
    const res = m.userAgent.map(textGlob);
    preds.push(({ event }) => (res.some((re) => re.test(event.userAgent)) ? "user agent" : false));
  }
  if (m.outcome) {
    const set = new Set<string>(m.outcome);
    preds.push(({ outcome }) => (set.has(outcome) ? `outcome ${outcome}` : false));
  }
  if (m.severity) {
    const set = new Set<string>(m.severity);
    preds.push(({ severity }) => (set.has(severity) ? `severity ${severity}` : false));
  }
  return {
    spec,
    test(input) {
      const why: string[] = [];
      for (const p of preds) {
        const hit = p(input);
        if (hit === false) return false;
        why.push(hit);
      }
      return why.length > 0 ? why.join(", ") : "every event";
    },
  };
}

/** An ordered rule list; `evaluate` applies the first rule that matches. */
export class RuleSet {
  readonly rules: readonly CompiledRule[];

  constructor(specs: readonly RuleSpec[], readonly source: string = "rules") {
    this.rules = specs.map(compileRule);
  }

  get size(): number {
    return this.rules.length;
  }

  evaluate(input: RuleInput): RuleOutcome | undefined {
    for (const rule of this.rules) {
      const hit = rule.test(input);
      if (hit === false) continue;
      const s = rule.spec;
      const out: RuleOutcome = { rule: s.name, suppressed: s.suppress === true, severity: s.severity ?? input.severity };
      if (out.suppressed) out.reason = `rule ${s.name}: ${hit}`;
      if (s.route) out.route = s.route;
      if (s.mention) out.mention = s.mention;
      return out;
    }
    return undefined;
  }
}

/** Rule names the MUTE_* shorthand compiles to. */
const NOISE_RULE_NAMES = { events: "MUTE_EVENTS", principals: "MUTE_PRINCIPALS", minSeverity: "MIN_SEVERITY" } as const;

/**
 * MUTE_EVENTS and MUTE_PRINCIPALS become suppress rules ahead of the file's rules (a mute always wins, as
 * before rules existed); MIN_SEVERITY becomes a suppress rule after them, so it applies to events no rule
 * in the file took.
 */
function compileNoiseRules(noise: NoiseSettings): { before: RuleSpec[]; after: RuleSpec[] } {
  const before: RuleSpec[] = [];
  if (noise.muteEvents.length > 0) before.push({ name: NOISE_RULE_NAMES.events, match: { events: [...noise.muteEvents] }, suppress: true });
  if (noise.mutePrincipals.length > 0) {
    before.push({ name: NOISE_RULE_NAMES.principals, match: { actor: [...noise.mutePrincipals] }, suppress: true });
  }
  const after: RuleSpec[] = [];
  const below = SEVERITIES.filter((s) => SEVERITY_RANK[s] < SEVERITY_RANK[noise.minSeverity]);
  if (below.length > 0) after.push({ name: NOISE_RULE_NAMES.minSeverity, match: { severity: below }, suppress: true });
  return { before, after };
}

/** The effective rule set: MUTE_* shorthand around the file's rules. */
export function effectiveRules(noise: NoiseSettings, fileRules: readonly RuleSpec[], source = "rules"): RuleSet {
  const { before, after } = compileNoiseRules(noise);
  return new RuleSet([...before, ...fileRules, ...after], source);
}
