// paramsFromEvent / offeredFor / remediationTitle on realistic normalised events (no AWS needed).
import { describe, expect, test } from "vitest";
import { REMEDIATION_IDS, type Actor } from "../../src/domain.js";
import { offeredFor, paramsFromEvent, remediationTitle } from "../../src/remediation/index.js";
import { ACCOUNT, ALICE_ACTOR, BOT, ROLE_ACTOR, iamEvent } from "./helpers.js";

describe("remediationTitle", () => {
  test("every remediation id has a distinct human title", () => {
    const titles = REMEDIATION_IDS.map((id) => remediationTitle(id));
    expect(new Set(titles).size).toBe(REMEDIATION_IDS.length);
    expect(remediationTitle("readd-role-to-instance-profile")).toBe("Re-add role to instance profile");
    expect(remediationTitle("contain-actor")).toBe("Contain the actor");
  });
});

describe("paramsFromEvent", () => {
  test("RemoveRoleFromInstanceProfile -> readd-role-to-instance-profile", () => {
    const ev = iamEvent("RemoveRoleFromInstanceProfile", { instanceProfileName: "app-profile", roleName: "app-role" });
    expect(paramsFromEvent("readd-role-to-instance-profile", ev)).toEqual({ instanceProfileName: "app-profile", roleName: "app-role" });
  });

  test("DeleteAccountAlias -> recreate-account-alias, and invalid aliases are rejected", () => {
    expect(paramsFromEvent("recreate-account-alias", iamEvent("DeleteAccountAlias", { accountAlias: "acme-prod" }))).toEqual({
      accountAlias: "acme-prod",
    });
    expect(paramsFromEvent("recreate-account-alias", iamEvent("DeleteAccountAlias", { accountAlias: "Acme_Prod" }))).toMatchObject({
      error: expect.stringContaining("accountAlias") as unknown,
    });
  });

  test("Detach{User,Group,Role}Policy -> reattach-managed-policy with the right target", () => {
    const arn = "arn:aws:iam::aws:policy/ReadOnlyAccess";
    expect(paramsFromEvent("reattach-managed-policy", iamEvent("DetachUserPolicy", { userName: "bob", policyArn: arn }))).toEqual({
      target: "user",
      name: "bob",
      policyArn: arn,
    });
    expect(paramsFromEvent("reattach-managed-policy", iamEvent("DetachGroupPolicy", { groupName: "admins", policyArn: arn }))).toEqual({
      target: "group",
      name: "admins",
      policyArn: arn,
    });
    const custom = `arn:aws:iam::${ACCOUNT}:policy/team/app-access`;
    expect(paramsFromEvent("reattach-managed-policy", iamEvent("DetachRolePolicy", { roleName: "app-role", policyArn: custom }))).toEqual({
      target: "role",
      name: "app-role",
      policyArn: custom,
    });
  });

  test("RemoveUserFromGroup -> readd-user-to-group", () => {
    expect(paramsFromEvent("readd-user-to-group", iamEvent("RemoveUserFromGroup", { groupName: "admins", userName: "bob" }))).toEqual({
      groupName: "admins",
      userName: "bob",
    });
  });

  test("undo remediations refuse the wrong event, a failed call, or missing parameters", () => {
    expect(paramsFromEvent("readd-user-to-group", iamEvent("DeleteGroup", { groupName: "admins" }))).toEqual({
      error: "this remediation undoes RemoveUserFromGroup, not DeleteGroup",
    });
    const failed = iamEvent("RemoveUserFromGroup", { groupName: "admins", userName: "bob" }, ALICE_ACTOR, {
      errorCode: "AccessDenied",
      errorMessage: "User: arn:aws:iam::123456789012:user/alice is not authorized",
    });
    expect(paramsFromEvent("readd-user-to-group", failed)).toEqual({
      error: "the RemoveUserFromGroup call failed (AccessDenied), so there is nothing to undo",
    });
    expect(paramsFromEvent("readd-user-to-group", iamEvent("RemoveUserFromGroup", null))).toEqual({ error: "the event has no request parameters" });
    expect(paramsFromEvent("readd-role-to-instance-profile", iamEvent("RemoveRoleFromInstanceProfile", { roleName: "app-role" }))).toEqual({
      error: "the event's request parameters have no instanceProfileName",
    });
    expect(paramsFromEvent("reattach-managed-policy", iamEvent("DetachUserPolicy", { userName: "bob", policyArn: "not-an-arn" }))).toHaveProperty(
      "error",
    );
  });

  test("contain-actor from an IAM user with a long-term key", () => {
    expect(paramsFromEvent("contain-actor", iamEvent("DeleteRole", { roleName: "x" }))).toEqual({
      principalType: "IAMUser",
      userName: "alice",
      accessKeyId: "AKIAEXAMPLEALICE0001",
      actorArn: `arn:aws:iam::${ACCOUNT}:user/alice`,
      accountId: ACCOUNT,
    });
  });

  test("contain-actor also applies to a failed (denied) call", () => {
    const ev = iamEvent("DeleteRole", { roleName: "x" }, ALICE_ACTOR, { errorCode: "AccessDenied" });
    expect(paramsFromEvent("contain-actor", ev)).toMatchObject({ principalType: "IAMUser", userName: "alice" });
  });

  test("contain-actor from an assumed role, with or without sessionIssuer fields", () => {
    expect(paramsFromEvent("contain-actor", iamEvent("DeleteUser", { userName: "x" }, ROLE_ACTOR))).toEqual({
      principalType: "AssumedRole",
      roleName: "deploy-role",
      sessionName: "ci-session",
      actorArn: `arn:aws:sts::${ACCOUNT}:assumed-role/deploy-role/ci-session`,
      accountId: ACCOUNT,
    });
    const bare: Actor = { type: "AssumedRole", arn: `arn:aws:sts::${ACCOUNT}:assumed-role/ops/jane@example.com`, mfaAuthenticated: null };
    expect(paramsFromEvent("contain-actor", iamEvent("DeleteUser", { userName: "x" }, bare))).toEqual({
      principalType: "AssumedRole",
      roleName: "ops",
      sessionName: "jane@example.com",
      actorArn: bare.arn,
    });
  });

  test("contain-actor keeps malformed optional context out instead of failing", () => {
    const odd: Actor = { ...ROLE_ACTOR, sessionName: "weird session!", arn: "not an arn" };
    expect(paramsFromEvent("contain-actor", iamEvent("DeleteUser", { userName: "x" }, odd))).toEqual({
      principalType: "AssumedRole",
      roleName: "deploy-role",
      accountId: ACCOUNT,
    });
  });

  test("contain-actor is refused for root, AWS services, other accounts and other principal types (not by a service-role name)", () => {
    const root: Actor = { type: "Root", arn: `arn:aws:iam::${ACCOUNT}:root`, accountId: ACCOUNT, userName: "acme-prod", mfaAuthenticated: true };
    expect(paramsFromEvent("contain-actor", iamEvent("DeleteUser", { userName: "x" }, root))).toEqual({
      error: "the actor is the account root user; the bot cannot contain root (secure the root credentials by hand)",
    });
    const svc: Actor = { type: "AWSService", invokedBy: "cloudformation.amazonaws.com", mfaAuthenticated: null };
    expect(paramsFromEvent("contain-actor", iamEvent("DeleteRole", { roleName: "x" }, svc))).toEqual({
      error: "the actor is an AWS service (cloudformation.amazonaws.com)",
    });
    const slr: Actor = { ...ROLE_ACTOR, arn: `arn:aws:sts::${ACCOUNT}:assumed-role/AWSServiceRoleForOrganizations/x`, roleName: "AWSServiceRoleForOrganizations" };
    // A name is not proof: anyone can call a role AWSServiceRoleFor…. The planner decides from GetRole's path.
    expect(paramsFromEvent("contain-actor", iamEvent("DeleteRole", { roleName: "x" }, slr))).toMatchObject({
      principalType: "AssumedRole",
      roleName: "AWSServiceRoleForOrganizations",
    });
    const foreign: Actor = { ...ROLE_ACTOR, accountId: "210987654321", arn: "arn:aws:sts::210987654321:assumed-role/deploy-role/ci-session" };
    expect(paramsFromEvent("contain-actor", iamEvent("DeleteRole", { roleName: "x" }, foreign))).toEqual({
      error: `the actor belongs to account 210987654321, not the event's account ${ACCOUNT}`,
    });
    const fed: Actor = { type: "FederatedUser", arn: `arn:aws:sts::${ACCOUNT}:federated-user/bob`, mfaAuthenticated: null };
    expect(paramsFromEvent("contain-actor", iamEvent("DeleteRole", { roleName: "x" }, fed))).toEqual({
      error: "contain-actor supports IAM users and assumed roles, not FederatedUser",
    });
  });

  test("enforce-password-policy needs no params; audit remediations need their fields", () => {
    expect(paramsFromEvent("enforce-password-policy", iamEvent("DeleteAccountPasswordPolicy", null))).toEqual({});
    expect(paramsFromEvent("deactivate-access-key", iamEvent("DeleteRole", { roleName: "x" }))).toEqual({
      error: "the event does not name an access key and its user",
    });
    expect(
      paramsFromEvent("deactivate-access-key", iamEvent("UpdateAccessKey", { userName: "bob", accessKeyId: "AKIAEXAMPLEBOB000001", status: "Active" })),
    ).toEqual({ userName: "bob", accessKeyId: "AKIAEXAMPLEBOB000001" });
    const stop = iamEvent("StopLogging", { name: "main-trail" }, ALICE_ACTOR, { eventSource: "cloudtrail.amazonaws.com" });
    expect(paramsFromEvent("start-trail-logging", stop)).toEqual({ trailName: "main-trail" });
  });
});

describe("offeredFor", () => {
  const ev = iamEvent("RemoveUserFromGroup", { groupName: "admins", userName: "bob" });

  test("keeps what can apply, drops the rest, de-duplicates", () => {
    const offered = offeredFor(["readd-user-to-group", "contain-actor", "readd-role-to-instance-profile", "readd-user-to-group"], ev, BOT);
    expect(offered).toEqual([
      { id: "readd-user-to-group", params: { groupName: "admins", userName: "bob" } },
      {
        id: "contain-actor",
        params: { principalType: "IAMUser", userName: "alice", accessKeyId: "AKIAEXAMPLEALICE0001", actorArn: ALICE_ACTOR.arn, accountId: ACCOUNT },
      },
    ]);
  });

  test("contain-actor is not offered against root or an AWS service", () => {
    const root: Actor = { type: "Root", arn: `arn:aws:iam::${ACCOUNT}:root`, accountId: ACCOUNT, mfaAuthenticated: false };
    expect(offeredFor(["contain-actor"], iamEvent("DeleteUser", { userName: "x" }, root), BOT)).toEqual([]);
    const svc: Actor = { type: "AWSService", invokedBy: "sso.amazonaws.com", mfaAuthenticated: null };
    expect(offeredFor(["contain-actor"], iamEvent("DeleteRole", { roleName: "x" }, svc), BOT)).toEqual([]);
  });

  test("contain-actor is not offered against the bot's own identity (any session of its role, or its IAM user)", () => {
    const botOtherSession: Actor = {
      type: "AssumedRole",
      arn: `arn:aws:sts::${ACCOUNT}:assumed-role/trailwatch-bot/another-session`,
      accountId: ACCOUNT,
      roleName: "trailwatch-bot",
      mfaAuthenticated: false,
    };
    expect(offeredFor(["contain-actor"], iamEvent("DeleteRolePolicy", { roleName: "x", policyName: "p" }, botOtherSession), BOT)).toEqual([]);
    const botUser = { arn: `arn:aws:iam::${ACCOUNT}:user/automation/trailwatch`, accountId: ACCOUNT };
    const asUser: Actor = { ...ALICE_ACTOR, arn: botUser.arn, userName: "trailwatch" };
    expect(offeredFor(["contain-actor"], iamEvent("DeleteUser", { userName: "x" }, asUser), botUser)).toEqual([]);
    // a different role in the same account is not the bot
    expect(offeredFor(["contain-actor"], iamEvent("DeleteUser", { userName: "x" }, ROLE_ACTOR), BOT)).toHaveLength(1);
  });

  test("contain-actor is not offered when the bot does not know its own identity", () => {
    expect(offeredFor(["contain-actor"], ev, null)).toEqual([]);
  });
});
