// Undo DeleteAccountAlias: create the alias again if the account has none.
import { checkParams, checkUndoEvent, paramsFrom } from "../validate.js";
import type { RemediationDefinition } from "../types.js";
import { iamGateway } from "../../aws/iam-gateway.js";

export const recreateAccountAlias: RemediationDefinition = {
  id: "recreate-account-alias",
  title: "Recreate account alias",
  validate: (p) => checkParams(p, { accountAlias: "accountAlias" }),
  fromEvent(event) {
    const bad = checkUndoEvent(event, ["DeleteAccountAlias"]);
    if (bad) return { error: bad };
    return paramsFrom(event, { accountAlias: "accountAlias" });
  },
  planTitle: (p) => `Recreate account alias ${p.accountAlias}`,
  async plan(p, ctx) {
    const alias = p.accountAlias ?? "";
    const current = await iamGateway(ctx.deps.iam).listAccountAliases();
    if (current.includes(alias)) {
      ctx.observations.push(`the account alias is ${alias}`);
      return { applicable: false, reason: `the account already has alias ${alias}; nothing to do` };
    }
    if (current.length > 0) {
      ctx.observations.push(`the account alias is ${current.join(", ")}`);
      return {
        applicable: false,
        reason: `the account already has alias ${current.join(", ")} (an account has at most one alias; creating ${alias} would replace it)`,
      };
    }
    ctx.observations.push(`the account has no alias; ${alias} will be recreated`);
    ctx.observations.push(`aliases are unique across AWS: if another account has taken ${alias} since, AWS refuses with EntityAlreadyExists`);
    return {
      applicable: true,
      reason: `the account has no alias, so ${alias} can be recreated. Account aliases cannot be tagged: this change is recorded in Slack only`,
      calls: [{ api: "CreateAccountAlias", params: { AccountAlias: alias }, description: `Create account alias ${alias}` }],
    };
  },
  undoesEvent: true,
  summary: (p) => `recreated account alias ${p.accountAlias}`,
};
