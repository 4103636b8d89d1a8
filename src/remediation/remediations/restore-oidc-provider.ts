// Undo DeleteOpenIDConnectProvider (recreate the provider with its URL, client ids, thumbprints and tags)
// and RemoveClientIDFromOpenIDConnectProvider (add the client id back).
import { beforeFromEventTime, checkRestoreParams, loadSnapshot, pinSnapshot, restoreTags, snapshotLabel } from "../restore/common.js";
import { checkUndoEvent, paramsFrom } from "../validate.js";
import type { RemediationDefinition } from "../types.js";
import { iamGateway } from "../../aws/iam-gateway.js";
import { orMissing } from "../../aws/errors.js";

const ACTION = "restore-oidc-provider";

export const restoreOidcProvider: RemediationDefinition = {
  id: ACTION,
  title: "Restore OIDC provider from snapshot",
  validate: (p) => checkRestoreParams(p, { providerArn: "oidcProviderArn" }, { clientId: "oidcClientId" }),
  fromEvent(event) {
    const bad = checkUndoEvent(event, ["DeleteOpenIDConnectProvider", "RemoveClientIDFromOpenIDConnectProvider"]);
    if (bad) return { error: bad };
    const params =
      event.eventName === "DeleteOpenIDConnectProvider"
        ? paramsFrom(event, { providerArn: "openIDConnectProviderArn" })
        : paramsFrom(event, { providerArn: "openIDConnectProviderArn", clientId: "clientID" });
    if ("error" in params) return params;
    const before = beforeFromEventTime(event.eventTime);
    return "error" in before ? before : { ...params, ...before };
  },
  pin: (p, deps) => pinSnapshot(p, deps),
  planTitle: (p) => (p.clientId ? `Add client id ${p.clientId} back to OIDC provider ${p.providerArn}` : `Restore OIDC provider ${p.providerArn}`),
  async plan(p, ctx) {
    const arn = p.providerArn ?? "";
    const loaded = await loadSnapshot(p, ctx);
    if ("error" in loaded) return { applicable: false, reason: loaded.error };
    const saved = loaded.snapshot.oidcProviders.find((o) => o.arn === arn);
    if (!saved) return { applicable: false, reason: `${snapshotLabel(loaded)} does not hold OIDC provider ${arn}: it was created after that snapshot` };
    const live = await orMissing(iamGateway(ctx.deps.iam).getOpenIDConnectProvider(arn));
    if (p.clientId) {
      if (!live) return { applicable: false, reason: `OIDC provider ${arn} no longer exists; restore the provider instead (its DeleteOpenIDConnectProvider alert)` };
      if ((live.ClientIDList ?? []).includes(p.clientId)) return { applicable: false, reason: `OIDC provider ${arn} has client id ${p.clientId} again; nothing to do` };
      if (!saved.clientIds.includes(p.clientId)) return { applicable: false, reason: `${snapshotLabel(loaded)} does not show client id ${p.clientId} on ${arn}` };
      return {
        applicable: true,
        reason: `client id ${p.clientId} was on the provider in ${snapshotLabel(loaded)}`,
        calls: [{ api: "AddClientIDToOpenIDConnectProvider", params: { OpenIDConnectProviderArn: arn, ClientID: p.clientId }, description: `Add client id ${p.clientId} to OIDC provider ${arn}` }],
      };
    }
    if (live) return { applicable: false, reason: `OIDC provider ${arn} exists again: someone recreated it; nothing is restored over it` };
    const notes: string[] = [];
    const url = /^https:\/\//.test(saved.url) ? saved.url : `https://${saved.url}`;
    return {
      applicable: true,
      reason: `OIDC provider ${url} can be recreated from ${snapshotLabel(loaded)} with ${saved.clientIds.length} client id(s) and ${saved.thumbprints.length} thumbprint(s); its ARN stays the same, so trust policies naming it match again`,
      calls: [
        {
          api: "CreateOpenIDConnectProvider",
          params: { Url: url, ClientIDList: saved.clientIds, ThumbprintList: saved.thumbprints, Tags: restoreTags(saved.tags, ctx, ACTION, loaded.meta.id, notes) },
          description: `Create OIDC provider ${url} with client ids ${saved.clientIds.join(", ") || "none"}`,
        },
      ],
      notes,
    };
  },
  undoesEvent: true,
  summary: (p) => (p.clientId ? `added client id ${p.clientId} back to ${p.providerArn}` : `restored OIDC provider ${p.providerArn}`),
};
