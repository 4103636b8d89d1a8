// Seeds moto with the account states the audit tests need.
import { CreateTrailCommand, StartLoggingCommand, type CloudTrailClient } from "@aws-sdk/client-cloudtrail";
import {
  CreateAccessKeyCommand,
  CreateLoginProfileCommand,
  CreateUserCommand,
  CreateVirtualMFADeviceCommand,
  EnableMFADeviceCommand,
  IAMClient,
  ListUsersCommand,
  UpdateAccountPasswordPolicyCommand,
} from "@aws-sdk/client-iam";
import { createBucket } from "../../support/moto.js";
import { DEFAULT_PASSWORD_POLICY, type PasswordPolicyBaseline } from "../../../src/domain.js";

export async function createUser(
  iam: IAMClient,
  name: string,
  opts: { path?: string; password?: boolean; mfa?: boolean } = {},
): Promise<string> {
  const res = await iam.send(new CreateUserCommand({ UserName: name, Path: opts.path }));
  if (opts.password) {
    await iam.send(new CreateLoginProfileCommand({ UserName: name, Password: "Correct-Horse-Battery-9" }));
  }
  if (opts.mfa) {
    const dev = await iam.send(new CreateVirtualMFADeviceCommand({ VirtualMFADeviceName: `${name}-mfa` }));
    await iam.send(
      new EnableMFADeviceCommand({
        UserName: name,
        SerialNumber: dev.VirtualMFADevice?.SerialNumber,
        AuthenticationCode1: "123456",
        AuthenticationCode2: "654321",
      }),
    );
  }
  return res.User?.Arn ?? "";
}

/** Creates an access key; with `use`, signs one request with it so moto records a last use "now". */
export async function createKey(iam: IAMClient, userName: string, endpoint: string, use = false): Promise<string> {
  const res = await iam.send(new CreateAccessKeyCommand({ UserName: userName }));
  const id = res.AccessKey?.AccessKeyId ?? "";
  if (use) {
    const asUser = new IAMClient({
      endpoint,
      region: "us-east-1",
      maxAttempts: 1,
      credentials: { accessKeyId: id, secretAccessKey: res.AccessKey?.SecretAccessKey ?? "" },
    });
    await asUser.send(new ListUsersCommand({}));
  }
  return id;
}

export async function setPasswordPolicy(iam: IAMClient, b: PasswordPolicyBaseline = DEFAULT_PASSWORD_POLICY): Promise<void> {
  await iam.send(
    new UpdateAccountPasswordPolicyCommand({
      MinimumPasswordLength: b.minimumPasswordLength,
      RequireSymbols: b.requireSymbols,
      RequireNumbers: b.requireNumbers,
      RequireUppercaseCharacters: b.requireUppercaseCharacters,
      RequireLowercaseCharacters: b.requireLowercaseCharacters,
      PasswordReusePrevention: b.passwordReusePrevention,
      MaxPasswordAge: b.maxPasswordAgeDays,
      AllowUsersToChangePassword: b.allowUsersToChangePassword,
    }),
  );
}

/** moto serves S3 on the same endpoint and accepts an unsigned CreateBucket. */

export async function createTrail(
  ct: CloudTrailClient,
  endpoint: string,
  name: string,
  opts: { multiRegion: boolean; logging: boolean },
): Promise<string> {
  const bucket = `${name}-logs`;
  await createBucket(endpoint, bucket);
  const res = await ct.send(new CreateTrailCommand({ Name: name, S3BucketName: bucket, IsMultiRegionTrail: opts.multiRegion }));
  if (opts.logging) await ct.send(new StartLoggingCommand({ Name: name }));
  return res.TrailARN ?? "";
}
