// Undo DeleteSAMLProvider: recreate the provider from the metadata document in the snapshot.
import { beforeFromEventTime, checkRestoreParams, firstRequestString, loadSnapshot, pinSnapshot, restoreTags, snapshotLabel } from "../restore/common.js";
import { checkUndoEvent } from "../validate.js";
import type { RemediationDefinition } from "../types.js";
import { iamGateway } from "../../aws/iam-gateway.js";
import { orMissing } from "../../aws/errors.js";

const ACTION = "restore-saml-provider";

export const restoreSamlProvider: RemediationDefinition = {
  id: ACTION,
  title: "Restore SAML provider from snapshot",
  validate: (p) => checkRestoreParams(p, { providerArn: "samlProviderArn" }),
  fromEvent(event) {
    const bad = checkUndoEvent(event, ["DeleteSAMLProvider"]);
    if (bad) return { error: bad };
    const providerArn = firstRequestString(event.requestParameters, ["sAMLProviderArn", "samlProviderArn", "SAMLProviderArn"]);
    if (!providerArn) return { error: "the event's request parameters have no sAMLProviderArn" };
    const params = { providerArn };
    const before = beforeFromEventTime(event.eventTime);
    return "error" in before ? before : { ...params, ...before };
  },
  pin: (p, deps) => pinSnapshot(p, deps),
  planTitle: (p) => `Restore SAML provider ${p.providerArn}`,
  async plan(p, ctx) {
    const arn = p.providerArn ?? "";
    const loaded = await loadSnapshot(p, ctx);
    if ("error" in loaded) return { applicable: false, reason: loaded.error };
    const saved = loaded.snapshot.samlProviders.find((s) => s.arn === arn);
    if (!saved) return { applicable: false, reason: `${snapshotLabel(loaded)} does not hold SAML provider ${arn}: it was created after that snapshot` };
    if (await orMissing(iamGateway(ctx.deps.iam).getSAMLProvider(arn))) {
      return { applicable: false, reason: `SAML provider ${arn} exists again: someone recreated it; nothing is restored over it` };
    }
    const notes: string[] = ["the metadata is the one in the snapshot: if the identity provider rotated its signing certificate since, update the metadata"];
    return {
      applicable: true,
      reason: `SAML provider ${saved.name} can be recreated from its metadata in ${snapshotLabel(loaded)}; its ARN stays the same, so trust policies naming it match again`,
      calls: [
        {
          api: "CreateSAMLProvider",
          params: { Name: saved.name, SAMLMetadataDocument: saved.metadata, Tags: restoreTags(saved.tags, ctx, ACTION, loaded.meta.id, notes) },
          description: `Create SAML provider ${saved.name} from its metadata (${saved.metadata.length} characters)`,
        },
      ],
      notes,
    };
  },
  undoesEvent: true,
  summary: (p) => `restored SAML provider ${p.providerArn}`,
};
