// Undo DeletePolicyVersion: add the deleted version's document back as a non-default version. IAM numbers
// versions itself, so it comes back under a new id. (The default version cannot be deleted, so the
// deleted one was never the default.)
import { decodePolicyDocument, stableJson } from "../aws.js";
import { checkRestoreParams, loadSnapshot, pinSnapshot, policySummary, snapshotLabel, restoreFromEvent } from "../restore/common.js";
import type { RemediationDefinition } from "../types.js";
import { iamGateway } from "../../aws/iam-gateway.js";
import { orMissing } from "../../aws/errors.js";

/** IAM keeps at most five versions of a managed policy. */
const MAX_VERSIONS = 5;

export const restorePolicyVersion: RemediationDefinition = {
  id: "restore-policy-version",
  title: "Restore deleted policy version",
  validate: (p) => checkRestoreParams(p, { policyArn: "policyArn", versionId: "policyVersionId" }),
  fromEvent: restoreFromEvent(["DeletePolicyVersion"], { policyArn: "policyArn", versionId: "versionId" }),
  pin: (p, deps) => pinSnapshot(p, deps),
  planTitle: (p) => `Restore version ${p.versionId} of ${p.policyArn} (as a non-default version)`,
  async plan(p, ctx) {
    const arn = p.policyArn ?? "";
    const versionId = p.versionId ?? "";
    const { iam } = ctx.deps;
    const loaded = await loadSnapshot(p, ctx);
    if ("error" in loaded) return { applicable: false, reason: loaded.error };
    const saved = loaded.snapshot.policies.find((x) => x.arn === arn)?.versions.find((v) => v.versionId === versionId);
    if (!saved) return { applicable: false, reason: `${snapshotLabel(loaded)} does not hold version ${versionId} of ${arn}: it was created after that snapshot` };
    const versions = await orMissing(iamGateway(iam).listPolicyVersions(arn));
    if (!versions) return { applicable: false, reason: `policy ${arn} no longer exists; restore the policy first (its DeletePolicy alert)` };
    const want = stableJson(JSON.parse(saved.document));
    for (const v of versions) {
      const doc = await iamGateway(iam).getPolicyVersion(arn, v.VersionId ?? "");
      if (stableJson(decodePolicyDocument(doc.PolicyVersion?.Document ?? "{}")) === want) {
        return { applicable: false, reason: `policy ${arn} already has a version with that document (${v.VersionId ?? "?"}); nothing to do` };
      }
    }
    if (versions.length >= MAX_VERSIONS) {
      return { applicable: false, reason: `policy ${arn} already has ${versions.length} versions, IAM's maximum; delete one first` };
    }
    ctx.observations.push(`policy ${arn} has ${versions.length} version(s) now`);
    return {
      applicable: true,
      reason: `the document of ${versionId} from ${snapshotLabel(loaded)} can be added back as a non-default version`,
      calls: [{ api: "CreatePolicyVersion", params: { PolicyArn: arn, PolicyDocument: saved.document, SetAsDefault: false }, description: `Add the document of ${versionId} to ${arn} as a new, non-default version: ${policySummary(saved.document)}` }],
      notes: [`the version gets a new id (IAM numbers versions; ${versionId} is not reused) and is not made the default`],
    };
  },
  undoesEvent: true,
  summary: (p) => `restored version ${p.versionId} of ${p.policyArn} as a non-default version`,
};
