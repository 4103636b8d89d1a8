// Fails fast with a clear message when a tool the integration tests need is missing.
import { execFileSync } from "node:child_process";

export default function setup(): void {
  try {
    execFileSync("moto_server", ["--help"], { stdio: "ignore" });
  } catch {
    throw new Error("moto_server is not on PATH: the IAM/CloudTrail integration tests need it (see README, Testing)");
  }
}
