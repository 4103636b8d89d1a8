// Undo DeleteAccountPasswordPolicy: put back exactly the policy the snapshot holds (not the baseline;
// enforce-password-policy is the remediation that hardens).
import { beforeFromEventTime, checkRestoreParams, loadSnapshot, pinSnapshot, snapshotLabel } from "../restore/common.js";
import { absentBinding, snapshotBinding } from "../restore/bindings.js";
import { checkUndoEvent } from "../validate.js";
import type { RemediationDefinition } from "../types.js";
import { iamGateway } from "../../aws/iam-gateway.js";
import { orMissing } from "../../aws/errors.js";

export const restorePasswordPolicy: RemediationDefinition = {
  id: "restore-password-policy",
  title: "Restore the previous password policy",
  validate: (p) => checkRestoreParams(p, {}),
  fromEvent(event) {
    // The call has no request parameters; checkUndoEvent would refuse it for that alone.
    const bad = checkUndoEvent({ ...event, requestParameters: event.requestParameters ?? {} }, ["DeleteAccountPasswordPolicy"]);
    if (bad) return { error: bad };
    return beforeFromEventTime(event.eventTime);
  },
  pin: (p, deps) => pinSnapshot(p, deps),
  planTitle: () => "Restore the previous account password policy",
  async plan(p, ctx) {
    const loaded = await loadSnapshot(p, ctx);
    if ("error" in loaded) return { applicable: false, reason: loaded.error };
    const saved = loaded.snapshot.passwordPolicy;
    if (!saved) {
      const gap = loaded.snapshot.gaps.find((g) => g.startsWith("password policy"));
      return { applicable: false, reason: gap ? `${snapshotLabel(loaded)} could not read the password policy (${gap})` : `${snapshotLabel(loaded)} shows no password policy: the account had none then` };
    }
    ctx.bindings.push(snapshotBinding(loaded));
    const live = await orMissing(iamGateway(ctx.deps.iam).getAccountPasswordPolicy());
    if (live?.PasswordPolicy) return { applicable: false, reason: "the account has a password policy again: someone set one; nothing is overwritten" };
    ctx.observations.push("the account has no password policy now (IAM's default applies)");
    ctx.bindings.push(absentBinding({ type: "password-policy" }));
    const summary = `${saved.MinimumPasswordLength}+ characters${saved.RequireSymbols ? ", symbols" : ""}${saved.RequireNumbers ? ", numbers" : ""}${saved.RequireUppercaseCharacters ? ", upper case" : ""}${saved.RequireLowercaseCharacters ? ", lower case" : ""}${saved.MaxPasswordAge ? `, expiry ${saved.MaxPasswordAge} days` : ", no expiry"}${saved.PasswordReusePrevention ? `, ${saved.PasswordReusePrevention} remembered` : ""}`;
    return {
      applicable: true,
      reason: `the password policy from ${snapshotLabel(loaded)} can be put back exactly: ${summary}`,
      calls: [{ api: "UpdateAccountPasswordPolicy", params: { ...saved }, description: `Set the account password policy back to ${summary}` }],
      notes: ["the password policy cannot be tagged: this change is recorded in Slack and in the record of actions"],
    };
  },
  undoesEvent: true,
  summary: () => "restored the previous account password policy",
};
