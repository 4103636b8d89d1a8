import { expect, test } from "vitest";
import { normalizeRecord } from "../../src/cloudtrail/normalize.js";
import { muteReason } from "../../src/detect/noise.js";
import { ASSUMED_DEPLOYER, iamRecord } from "../support/records.js";

const ev = normalizeRecord(iamRecord({ eventName: "DeleteAccessKey", identity: ASSUMED_DEPLOYER, requestParameters: { userName: "u", accessKeyId: "AKIA1" } }));
const none = { muteEvents: [], mutePrincipals: [], minSeverity: "low" as const };

test("nothing is muted by default", () => {
  expect(muteReason(ev, "medium", none)).toBeUndefined();
});

test("MUTE_EVENTS mutes by event name", () => {
  expect(muteReason(ev, "medium", { ...none, muteEvents: ["DeleteAccessKey"] })).toBe("MUTE_EVENTS lists DeleteAccessKey");
});

test("MUTE_PRINCIPALS matches the caller or its role ARN with * wildcards, and nothing else", () => {
  expect(muteReason(ev, "medium", { ...none, mutePrincipals: ["arn:aws:iam::*:role/deploy*"] })).toMatch(/matches arn:aws:iam::123456789012:role\/deployer/);
  expect(muteReason(ev, "medium", { ...none, mutePrincipals: ["arn:aws:sts::123456789012:assumed-role/deployer/*"] })).toBeDefined();
  // Regex metacharacters in a pattern are literal.
  expect(muteReason(ev, "medium", { ...none, mutePrincipals: ["arn:aws:iam::.*"] })).toBeUndefined();
  expect(muteReason(ev, "medium", { ...none, mutePrincipals: ["arn:aws:iam::*:role/other"] })).toBeUndefined();
});

test("MIN_SEVERITY mutes less severe alerts only", () => {
  expect(muteReason(ev, "medium", { ...none, minSeverity: "high" })).toBe("severity medium is below MIN_SEVERITY high");
  expect(muteReason(ev, "critical", { ...none, minSeverity: "high" })).toBeUndefined();
});
