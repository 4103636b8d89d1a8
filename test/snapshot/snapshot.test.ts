import { describe, expect, test } from "vitest";
import {
  CreateAccountAliasCommand,
  CreateOpenIDConnectProviderCommand,
  CreateSAMLProviderCommand,
  IAMClient,
  TagPolicyCommand,
  UpdateAccountPasswordPolicyCommand,
  UploadSigningCertificateCommand,
  UploadSSHPublicKeyCommand,
} from "@aws-sdk/client-iam";
import { decodeSnapshot } from "../../src/snapshot/service.js";
import { takeSnapshot } from "../../src/snapshot/take.js";
import { createLogger } from "../../src/log.js";
import { SnapshotService } from "../../src/snapshot/service.js";
import { useMoto } from "../remediation/helpers.js";
import { APP_PROFILE, APP_ROLE, APP_USER, BOUNDARY_ARN, MANAGED_ARN, ROLE_INLINE, seedAcceptanceIam, TRUST, USER_INLINE } from "../support/iam-seed.js";
import { SIGNING_CERT, SSH_PUBLIC_KEY } from "./fixtures.js";
import { snapshotsFor } from "./helpers.js";

const moto = useMoto();
const SAML_METADATA = `<?xml version="1.0"?><md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" entityID="https://idp.example.com/saml"><md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol"/></md:EntityDescriptor>`;

describe("takeSnapshot", () => {
  test("holds every property a restore needs, with policy documents decoded", async () => {
    const iam = moto.get().iam();
    await seedAcceptanceIam(iam);
    await iam.send(new TagPolicyCommand({ PolicyArn: MANAGED_ARN, Tags: [{ Key: "owner", Value: "apps" }] }));
    await iam.send(new UploadSSHPublicKeyCommand({ UserName: APP_USER, SSHPublicKeyBody: SSH_PUBLIC_KEY }));
    await iam.send(new UploadSigningCertificateCommand({ UserName: APP_USER, CertificateBody: SIGNING_CERT }));
    await iam.send(new CreateOpenIDConnectProviderCommand({ Url: "https://token.actions.githubusercontent.com", ClientIDList: ["sts.amazonaws.com"], ThumbprintList: ["6938fd4d98bab03faadb97b34396831e3780aea1"] }));
    await iam.send(new CreateSAMLProviderCommand({ Name: "corp-idp", SAMLMetadataDocument: SAML_METADATA }));
    await iam.send(new CreateAccountAliasCommand({ AccountAlias: "acme-prod" }));
    await iam.send(new UpdateAccountPasswordPolicyCommand({ MinimumPasswordLength: 16, RequireSymbols: true, RequireNumbers: true, MaxPasswordAge: 60, PasswordReusePrevention: 12 }));

    const { snapshot: s, calls } = await takeSnapshot(iam);
    expect(s.gaps).toEqual([]);
    expect(calls).toBeGreaterThan(8);
    const role = s.roles.find((r) => r.name === APP_ROLE);
    expect(role).toMatchObject({
      path: "/apps/",
      description: "payments worker",
      maxSessionDuration: 7200,
      boundaryArn: BOUNDARY_ARN,
      tags: [{ Key: "env", Value: "prod" }, { Key: "team", Value: "payments" }],
      managedPolicyArns: [MANAGED_ARN],
      instanceProfileNames: [APP_PROFILE],
    });
    expect(role?.id).toMatch(/^AROA/);
    expect(JSON.parse(role?.trustPolicy ?? "")).toEqual(JSON.parse(TRUST));
    expect(JSON.parse(role?.inlinePolicies[0]?.document ?? "")).toEqual(JSON.parse(ROLE_INLINE));
    expect(s.instanceProfiles).toEqual([expect.objectContaining({ name: APP_PROFILE, path: "/apps/", roleNames: [APP_ROLE], tags: [{ Key: "owner", Value: "platform" }] })]);
    const user = s.users.find((u) => u.name === APP_USER);
    expect(JSON.parse(user?.inlinePolicies[0]?.document ?? "")).toEqual(JSON.parse(USER_INLINE));
    expect(user?.sshPublicKeys.map((k) => k.body)).toEqual([SSH_PUBLIC_KEY]);
    expect(user?.signingCertificates.map((c) => c.body.trim())).toEqual([SIGNING_CERT.trim()]);
    expect(s.policies.find((p) => p.arn === MANAGED_ARN)).toMatchObject({ name: "app-read", path: "/apps/", description: "read the app bucket", tags: [{ Key: "owner", Value: "apps" }] });
    expect(s.oidcProviders).toEqual([
      expect.objectContaining({ url: expect.stringContaining("token.actions.githubusercontent.com"), clientIds: ["sts.amazonaws.com"], thumbprints: ["6938fd4d98bab03faadb97b34396831e3780aea1"] }),
    ]);
    expect(s.samlProviders).toEqual([expect.objectContaining({ name: "corp-idp", metadata: SAML_METADATA })]);
    expect(s.accountAlias).toBe("acme-prod");
    expect(s.passwordPolicy).toMatchObject({ MinimumPasswordLength: 16, RequireSymbols: true, MaxPasswordAge: 60, PasswordReusePrevention: 12 });
  });
});

describe("SnapshotService", () => {
  test("stores compressed, keeps an unchanged snapshot once and records when it was confirmed", async () => {
    const iam = moto.get().iam();
    await seedAcceptanceIam(iam);
    const snaps = await snapshotsFor(iam);
    const first = await snaps.service.run("test");
    expect(first.ok).toBe(true);
    if (!first.ok) return;
    expect(first.stored).toBe(true);
    expect(first.meta.storedBytes).toBeLessThan(first.meta.rawBytes);

    snaps.clock.now = new Date("2025-02-01T01:00:00Z");
    const second = await snaps.service.run("test");
    expect(second).toMatchObject({ ok: true, stored: false });
    if (!second.ok) return;
    expect(second.meta.id).toBe(first.meta.id);
    expect(second.meta.confirmedAt.toISOString()).toBe("2025-02-01T01:00:00.000Z");
    expect(second.meta.takenAt.toISOString()).toBe("2025-02-01T00:00:00.000Z");
    expect(await snaps.store.listSnapshots({ scope: "default", limit: 10 })).toHaveLength(1);

    await iam.send(new CreateAccountAliasCommand({ AccountAlias: "acme-changed" }));
    snaps.clock.now = new Date("2025-02-01T02:00:00Z");
    const third = await snaps.service.run("test");
    expect(third).toMatchObject({ ok: true, stored: true });
    const stored = await snaps.store.getSnapshot(third.ok ? third.meta.id : -1);
    expect(decodeSnapshot(stored?.data ?? Buffer.alloc(0)).accountAlias).toBe("acme-changed");

    // "the last snapshot before T" picks by the time the content was first seen
    expect((await snaps.service.latestAtOrBefore(new Date("2025-02-01T01:30:00Z")))?.meta.id).toBe(first.meta.id);
    expect((await snaps.service.latestAtOrBefore(new Date("2025-02-01T02:30:00Z")))?.meta.id).toBe(third.ok ? third.meta.id : -1);
    expect(await snaps.service.latestAtOrBefore(new Date("2025-01-31T00:00:00Z"))).toBeNull();
  });

  test("retention drops snapshots last confirmed before SNAPSHOT_RETENTION_DAYS", async () => {
    const iam = moto.get().iam();
    const snaps = await snapshotsFor(iam, 90);
    const old = await snaps.takeAt("2025-01-01T00:00:00Z");
    await iam.send(new CreateAccountAliasCommand({ AccountAlias: "acme-later" }));
    const r = (snaps.clock.now = new Date("2025-04-02T00:00:00Z"), await snaps.service.run("test"));
    expect(r).toMatchObject({ ok: true, stored: true, pruned: 1 });
    expect(await snaps.service.get(old)).toBeNull();
    expect((await snaps.store.listSnapshots({ scope: "default", limit: 10 })).map((m) => m.id)).toEqual([r.ok ? r.meta.id : -1]);
  });

  test("a failed snapshot is reported and logged, never thrown, and stores nothing", async () => {
    const lines: string[] = [];
    const logger = createLogger("info", { write: (l: string) => void lines.push(l) });
    const dead = new IAMClient({ endpoint: "http://127.0.0.1:9", region: "us-east-1", credentials: { accessKeyId: "AKIATEST", secretAccessKey: "x" }, maxAttempts: 1 });
    const snaps = await snapshotsFor(moto.get().iam());
    const service = new SnapshotService({ store: snaps.store, scope: "default", iam: dead, logger, now: () => new Date(), retentionDays: 90 });
    const r = await service.run("test");
    expect(r.ok).toBe(false);
    expect(await snaps.store.listSnapshots({ scope: "default", limit: 10 })).toEqual([]);
    expect(lines.join("\n")).toContain("IAM snapshot FAILED");
  });
});
