// The AWS Management Console host for a region. GovCloud and the China regions are separate partitions with
// their own consoles; a commercial console link for their events would open the wrong sign-in page.

/** Console origin (scheme and host, no trailing slash) for a validated region name. */
export function consoleOrigin(region: string): string {
  if (region.startsWith("us-gov-")) return "https://console.amazonaws-us-gov.com";
  if (region.startsWith("cn-")) return "https://console.amazonaws.cn";
  return `https://${region}.console.aws.amazon.com`;
}
