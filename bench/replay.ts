// Replay throughput and memory: writes a large CloudTrail log folder to a temp dir, replays it, prints
// records/s, MB/s and memory. Two mixes: the real corpus repeated (IAM-heavy: every record is parsed and
// normalised far more often than in a real account), and read-only noise with rare deletions (typical). Each
// is replayed with the chain/digest grouper, as the command line runs it, and without it for comparison.
import { createWriteStream, mkdtempSync, readFileSync, readdirSync, rmSync } from "node:fs";
import { once } from "node:events";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { DEFAULT_GROUPING } from "../src/grouping/grouper.js";
import { ReplayGrouper } from "../src/replay/grouping.js";
import { replay } from "../src/replay/index.js";
import { effectiveRules } from "../src/rules/index.js";
import { iamRecord } from "../test/support/records.js";

function corpusRecords(): string[] {
  const dir = new URL("../test/fixtures/cloudtrail/", import.meta.url);
  return readdirSync(dir)
    .filter((f) => f.endsWith(".jsonl.gz"))
    .flatMap((f) => gunzipSync(readFileSync(new URL(f, dir))).toString("utf8").split("\n").filter((l) => l.trim() !== ""));
}

/** Writes `{"Records":[…]}` files of about `fileBytes` each until `totalBytes`; returns the record count. */
async function writeFolder(dir: string, totalBytes: number, fileBytes: number, next: (i: number) => string): Promise<number> {
  let written = 0;
  let i = 0;
  for (let f = 0; written < totalBytes; f++) {
    const ws = createWriteStream(join(dir, `part-${String(f).padStart(4, "0")}.json`));
    ws.write('{"Records":[');
    let inFile = 0;
    let first = true;
    while (inFile < fileBytes && written < totalBytes) {
      const s = (first ? "" : ",") + next(i++);
      first = false;
      inFile += s.length;
      written += s.length;
      if (!ws.write(s)) await once(ws, "drain");
    }
    ws.end("]}");
    await once(ws, "finish");
  }
  return i;
}

/** Replays `dir` as `trailwatch replay` does: with the chain/digest grouper at the bot's defaults (or without). */
async function measure(label: string, dir: string, bytes: number, grouped = true): Promise<void> {
  const rules = effectiveRules({ muteEvents: [], mutePrincipals: [], minSeverity: "low" }, []);
  let peakRss = process.memoryUsage().rss;
  const baseRss = peakRss;
  const sampler = setInterval(() => {
    peakRss = Math.max(peakRss, process.memoryUsage().rss);
  }, 20);
  const cpu0 = process.cpuUsage();
  const grouper = grouped ? new ReplayGrouper(DEFAULT_GROUPING) : undefined;
  const s = await replay([dir], { rules, grouper }, { alert: () => {}, problem: () => {} });
  const cpu = process.cpuUsage(cpu0);
  clearInterval(sampler);
  const cpuS = (cpu.user + cpu.system) / 1e6;
  console.log(
    `${label.padEnd(34)} | ${(bytes / 1048576).toFixed(0).padStart(6)} MiB | ${s.records.toLocaleString("en").padStart(10)} | ${s.alerts.toLocaleString("en").padStart(7)} | ${Math.round(s.records / s.seconds).toLocaleString("en").padStart(10)} | ${(bytes / 1048576 / s.seconds).toFixed(0).padStart(6)} | ${cpuS.toFixed(1).padStart(6)} s | ${((peakRss - baseRss) / 1048576).toFixed(0).padStart(5)} MiB | ${(s.peakBufferedBytes / 1048576).toFixed(1)} MiB`,
  );
}

export async function replayBench(totalBytes = 1024 * 1048576): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), "tw-bench-replay-"));
  try {
    console.log(`\nreplay (one process, one core; {"Records":[…]} files of 100 MiB in a temp folder)`);
    console.log("mix                                |       size |    records |  alerts |  records/s |  MiB/s |      CPU |     +RSS | max buffered");
    const corpus = corpusRecords();
    const corpusDir = join(root, "corpus");
    const noiseDir = join(root, "noise");
    for (const d of [corpusDir, noiseDir]) rmSync(d, { recursive: true, force: true });
    await import("node:fs/promises").then((fs) => Promise.all([fs.mkdir(corpusDir), fs.mkdir(noiseDir)]));
    // Unique event ids, so repeated records are not folded as duplicate deliveries.
    const uniq = (rec: string, i: number) => rec.replace('"eventID":"', `"eventID":"b${i}-`);
    await writeFolder(corpusDir, totalBytes, 100 * 1048576, (i) => uniq(corpus[i % corpus.length] as string, i));
    // Without grouping first: the first pass also warms the page cache and the JIT, which favours the second.
    await measure("real corpus, without grouping", corpusDir, totalBytes, false);
    await measure("real corpus repeated (IAM-heavy)", corpusDir, totalBytes);
    rmSync(corpusDir, { recursive: true, force: true });
    const services = ["ec2.amazonaws.com", "s3.amazonaws.com", "sts.amazonaws.com", "iam.amazonaws.com", "kms.amazonaws.com"];
    const names = ["DescribeInstances", "GetObject", "AssumeRole", "GetRole", "Decrypt"];
    const noise = services.map((src, k) => JSON.stringify(iamRecord({ eventName: names[k] as string, eventSource: src, readOnly: true, requestParameters: { roleName: "app" } })));
    // Event time moves on as in a real trail (100 records a second), so chains and digests open and close.
    const t0 = Date.UTC(2026, 10, 1);
    const deletion = (i: number) => JSON.stringify(iamRecord({ eventName: "DeleteRole", requestParameters: { roleName: `app-${i % 7}` }, eventTime: new Date(t0 + i * 10) }));
    await writeFolder(noiseDir, totalBytes, 100 * 1048576, (i) => (i % 10_000 === 0 ? deletion(i) : (noise[i % noise.length] as string)));
    await measure("noise, without grouping", noiseDir, totalBytes, false);
    await measure("read-only noise, 1 deletion in 10k", noiseDir, totalBytes);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

// Run alone: npx tsx bench/replay.ts (REPLAY_BENCH_MB sets the size; default 1024).
if (process.argv[1]?.endsWith("replay.ts")) {
  await replayBench(Number(process.env.REPLAY_BENCH_MB ?? 1024) * 1048576);
}
