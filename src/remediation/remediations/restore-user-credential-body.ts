// Undo DeleteSSHPublicKey and DeleteSigningCertificate: upload the public key or certificate body from
// the snapshot again. Only public material is restored; IAM gives it a new id.
import { beforeFromEventTime, checkRestoreParams, firstRequestString, loadSnapshot, pinSnapshot, snapshotLabel } from "../restore/common.js";
import { checkUndoEvent } from "../validate.js";
import type { PlanContext, PlanOutcome, RemediationDefinition, RemediationParams } from "../types.js";
import { iamGateway } from "../../aws/iam-gateway.js";
import { orMissing } from "../../aws/errors.js";

type Kind = "ssh" | "cert";

async function planUpload(kind: Kind, p: RemediationParams, ctx: PlanContext): Promise<PlanOutcome> {
  const userName = p.userName ?? "";
  const id = p.credentialId ?? "";
  const what = kind === "ssh" ? "SSH public key" : "signing certificate";
  const { iam } = ctx.deps;
  const loaded = await loadSnapshot(p, ctx);
  if ("error" in loaded) return { applicable: false, reason: loaded.error };
  const user = loaded.snapshot.users.find((u) => u.name === userName);
  const saved = (kind === "ssh" ? user?.sshPublicKeys : user?.signingCertificates)?.find((c) => c.id === id);
  if (!saved) return { applicable: false, reason: `${snapshotLabel(loaded)} does not hold ${what} ${id} of user ${userName}: it was added after that snapshot` };
  if (!(await orMissing(iamGateway(iam).getUser(userName)))) {
    return { applicable: false, reason: `user ${userName} no longer exists; restore the user first` };
  }
  if (kind === "ssh") {
    for (const k of await iamGateway(iam).listSSHPublicKeys(userName)) {
      const full = await iamGateway(iam).getSSHPublicKey(userName, k.SSHPublicKeyId ?? "");
      if (full.SSHPublicKey?.SSHPublicKeyBody?.trim() === saved.body.trim()) return { applicable: false, reason: `user ${userName} has this SSH public key again (${k.SSHPublicKeyId ?? "?"}); nothing to do` };
    }
  } else {
    const certs = await iamGateway(iam).listSigningCertificates(userName);
    const same = certs.find((c) => c.CertificateBody?.trim() === saved.body.trim());
    if (same) return { applicable: false, reason: `user ${userName} has this signing certificate again (${same.CertificateId ?? "?"}); nothing to do` };
  }
  return {
    applicable: true,
    reason: `the ${what} of user ${userName} from ${snapshotLabel(loaded)} can be uploaded again`,
    calls: [
      kind === "ssh"
        ? { api: "UploadSSHPublicKey", params: { UserName: userName, SSHPublicKeyBody: saved.body }, description: `Upload the SSH public key again for user ${userName}` }
        : { api: "UploadSigningCertificate", params: { UserName: userName, CertificateBody: saved.body }, description: `Upload the signing certificate again for user ${userName}` },
    ],
    notes: [
      `it gets a new id (the old one was ${id}); anything that refers to the old id must be updated`,
      saved.status === "Inactive" ? `it was Inactive in the snapshot but is uploaded Active` : "it is uploaded Active, as it was",
    ],
  };
}

function definition(kind: Kind): RemediationDefinition {
  const eventName = kind === "ssh" ? "DeleteSSHPublicKey" : "DeleteSigningCertificate";
  const idKeys = kind === "ssh" ? ["sSHPublicKeyId", "sshPublicKeyId", "SSHPublicKeyId"] : ["certificateId"];
  const what = kind === "ssh" ? "SSH public key" : "signing certificate";
  return {
    id: kind === "ssh" ? "restore-ssh-public-key" : "restore-signing-certificate",
    title: `Re-upload deleted ${what}`,
    validate: (p) => checkRestoreParams(p, { userName: "userName", credentialId: "credentialId" }),
    fromEvent(event) {
      const bad = checkUndoEvent(event, [eventName]);
      if (bad) return { error: bad };
      const userName = firstRequestString(event.requestParameters, ["userName"]);
      const credentialId = firstRequestString(event.requestParameters, idKeys);
      if (!userName || !credentialId) return { error: `the event's request parameters have no userName or ${idKeys[0] ?? "id"}` };
      const params = { userName, credentialId };
      const before = beforeFromEventTime(event.eventTime);
      return "error" in before ? before : { ...params, ...before };
    },
    pin: (p, deps) => pinSnapshot(p, deps),
    planTitle: (p) => `Re-upload ${what} ${p.credentialId} of user ${p.userName}`,
    plan: (p, ctx) => planUpload(kind, p, ctx),
    undoesEvent: true,
    summary: (p) => `re-uploaded the ${what} of user ${p.userName} (new id)`,
  };
}

export const restoreSshPublicKey = definition("ssh");
export const restoreSigningCertificate = definition("cert");
