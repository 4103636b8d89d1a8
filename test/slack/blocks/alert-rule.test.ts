// The rule line on an alert: the rule's name (escaped, it is operator text) and the user group it mentions.
import { expect, test } from "vitest";
import { getCatalogEntry } from "../../../src/catalog/index.js";
import { normalizeRecord } from "../../../src/cloudtrail/normalize.js";
import { AlertBlockIds, buildAlertMessage } from "../../../src/slack/blocks/alert.js";
import { validateMessage } from "../../../src/slack/blocks/limits.js";
import { iamRecord } from "../../support/records.js";

const event = normalizeRecord(iamRecord({ eventName: "DeleteRole", requestParameters: { roleName: "app" } }));
const input = { event, severity: "high" as const, severityReason: "r", outcome: "success" as const };

test("an alert decided by a rule names it and mentions its user group", () => {
  const msg = buildAlertMessage({ ...input, rule: { name: "platform <team> & co", mention: "S0PLATFORM1" } }, getCatalogEntry("DeleteRole"));
  const block = msg.blocks.find((b) => b.block_id === AlertBlockIds.rule);
  expect(JSON.stringify(block)).toContain("Rule: `platform &lt;team&gt; &amp; co` · <!subteam^S0PLATFORM1>");
  expect(validateMessage({ text: msg.text, blocks: msg.blocks })).toEqual([]);
});

test("no rule, no rule line; a malformed mention id is never turned into a mention", () => {
  expect(buildAlertMessage(input, getCatalogEntry("DeleteRole")).blocks.some((b) => b.block_id === AlertBlockIds.rule)).toBe(false);
  const msg = buildAlertMessage({ ...input, rule: { name: "x", mention: "S1|<!channel>" } }, getCatalogEntry("DeleteRole"));
  expect(JSON.stringify(msg.blocks)).not.toContain("subteam");
  expect(JSON.stringify(msg.blocks)).not.toContain("<!channel>");
});
