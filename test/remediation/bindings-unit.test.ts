// recheckBindings fails closed without AWS: an unknown kind, a reader that throws, a thing that is gone and a
// changed value are all differences, and registered kinds (e.g. a restore's own) are re-checked.
import { describe, expect, test } from "vitest";
import { bindingText, recheckBindings, registerBindingKind, type Binding } from "../../src/remediation/bindings.js";
import type { RemediationDeps } from "../../src/remediation/types.js";
import { BOT } from "./helpers.js";

const deps = { iam: {} as never, botIdentity: BOT, passwordPolicy: {} as never } as RemediationDeps;
const b = (kind: string, expected: Record<string, string>, ref: Record<string, string> = {}): Binding => ({ kind, label: `${kind} thing`, ref, expected });

describe("recheckBindings", () => {
  test("unknown kinds, failing readers, missing things and changed values are each reported", async () => {
    registerBindingKind("test-snapshot", async (_d, ref) => {
      if (ref.mode === "throw") throw new Error("AWS denied GetSnapshot");
      if (ref.mode === "gone") return undefined;
      return { Sha256: "a".repeat(64), Version: "2" };
    });
    const diffs = await recheckBindings(deps, [
      b("no-such-kind", { X: "1" }),
      b("test-snapshot", { Sha256: "a".repeat(64) }, { mode: "throw" }),
      b("test-snapshot", { Sha256: "a".repeat(64) }, { mode: "gone" }),
      b("test-snapshot", { Sha256: "a".repeat(64), Version: "1" }, { mode: "ok" }),
      b("test-snapshot", { Sha256: "b".repeat(64), Missing: "x" }, { mode: "ok" }),
    ]);
    expect(diffs).toEqual([
      "no-such-kind thing: trailwatch cannot re-check bindings of kind no-such-kind",
      "test-snapshot thing: could not be re-read (AWS denied GetSnapshot)",
      "test-snapshot thing no longer exists",
      "test-snapshot thing: Version was 1, is now 2",
      `test-snapshot thing: Sha256 was bbbbbbbbbbbb…, is now aaaaaaaaaaaa…`,
      "test-snapshot thing: Missing was x, is now absent",
    ]);
    expect(await recheckBindings(deps, [b("test-snapshot", { Version: "2" }, { mode: "ok" })])).toEqual([]);
  });

  test("the account kind compares with the identity the bot acts as now; an unknown identity is a difference", async () => {
    const account = b("account", { AccountId: BOT.accountId });
    expect(await recheckBindings(deps, [account])).toEqual([]);
    expect(await recheckBindings({ ...deps, botIdentity: null }, [account])).toEqual([
      `account thing: AccountId was ${BOT.accountId}, is now unknown (STS GetCallerIdentity failed)`,
    ]);
  });

  test("bindingText shortens hashes", () => {
    expect(bindingText(b("managed-policy", { PolicyId: "ANPA1", DocumentSha256: "f".repeat(64) }))).toBe("managed-policy thing — PolicyId ANPA1, DocumentSha256 ffffffffffff…");
  });
});
