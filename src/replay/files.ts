// Finds and reads CloudTrail log files: plain or gzip (detected by its magic bytes, not the name), in any of
// the shapes RecordSplitter understands, from files or folders walked recursively (an S3 export such as
// AWSLogs/<account>/CloudTrail/<region>/YYYY/MM/DD/… is just a folder tree). Reading streams: memory stays
// constant whatever the size of a file.
import { createReadStream } from "node:fs";
import { open, readdir, realpath, stat } from "node:fs/promises";
import { join } from "node:path";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { RecordSplitter, SplitError } from "./splitter.js";

/** Files picked up when walking a folder. A file named on the command line is read whatever its name. */
const LOG_FILE_RE = /\.(json|jsonl|ndjson)(\.gz)?$/i;
/** Folders never walked: CloudTrail's digest files are signatures of log files, not events. */
const SKIPPED_DIRS = new Set(["CloudTrail-Digest", "node_modules", ".git"]);

export interface SourceProblem {
  path: string;
  message: string;
}

/** Expands files and folders into the list of log files, in path order (S3 layout: time order). */
export async function listLogFiles(paths: readonly string[]): Promise<{ files: string[]; problems: SourceProblem[] }> {
  const files: string[] = [];
  const problems: SourceProblem[] = [];
  const seenDirs = new Set<string>();
  const walk = async (dir: string): Promise<void> => {
    const real = await realpath(dir);
    if (seenDirs.has(real)) return; // a symlink loop
    seenDirs.add(real);
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      problems.push({ path: dir, message: `cannot read folder (${(err as NodeJS.ErrnoException).code ?? "error"})` });
      return;
    }
    entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    for (const e of entries) {
      const full = join(dir, e.name);
      let isDir = e.isDirectory();
      let isFile = e.isFile();
      if (e.isSymbolicLink()) {
        const st = await stat(full).catch(() => null);
        isDir = st?.isDirectory() ?? false;
        isFile = st?.isFile() ?? false;
      }
      if (isDir && !SKIPPED_DIRS.has(e.name)) await walk(full);
      else if (isFile && LOG_FILE_RE.test(e.name)) files.push(full);
    }
  };
  for (const p of paths) {
    const st = await stat(p).catch((err: unknown) => err as NodeJS.ErrnoException);
    if (st instanceof Error) {
      problems.push({ path: p, message: st.code === "ENOENT" ? "no such file or folder" : `cannot be read (${st.code ?? "error"})` });
    } else if (st.isDirectory()) {
      await walk(p);
    } else {
      files.push(p);
    }
  }
  return { files, problems };
}

async function isGzip(path: string): Promise<boolean> {
  const fh = await open(path, "r");
  try {
    const head = Buffer.alloc(2);
    const { bytesRead } = await fh.read(head, 0, 2, 0);
    return bytesRead === 2 && head[0] === 0x1f && head[1] === 0x8b;
  } finally {
    await fh.close();
  }
}

export interface FileReadResult {
  records: number;
  /** Most bytes the splitter held at once. */
  peakBuffered: number;
  /** Set when reading stopped early; the records before it were processed. */
  error?: string;
  /** True when the file could not be opened or held nothing readable. */
  unreadable: boolean;
}

/** Streams one file's records to `onRecord` (raw bytes of one JSON object each). */
export async function readLogFile(path: string, onRecord: (raw: Buffer) => void, opts: { maxRecordBytes?: number | undefined } = {}): Promise<FileReadResult> {
  const splitter = new RecordSplitter(onRecord, opts);
  let gz: boolean;
  try {
    gz = await isGzip(path);
  } catch (err) {
    return { records: 0, peakBuffered: 0, error: `cannot be read (${(err as NodeJS.ErrnoException).code ?? "error"})`, unreadable: true };
  }
  const src = createReadStream(path, { highWaterMark: 1 << 20 });
  const consume = async (source: AsyncIterable<Buffer>): Promise<void> => {
    for await (const chunk of source) splitter.push(chunk);
    splitter.end();
  };
  try {
    if (gz) await pipeline(src, createGunzip({ chunkSize: 1 << 18 }), consume);
    else await pipeline(src, consume);
    return { records: splitter.records, peakBuffered: splitter.peakBuffered, unreadable: false };
  } catch (err) {
    const e = err as NodeJS.ErrnoException;
    let message: string;
    if (err instanceof SplitError) message = err.message;
    else if (gz && typeof e.code === "string" && e.code.startsWith("Z_")) message = `corrupt gzip data (${e.message})`;
    else message = `cannot be read (${e.code ?? e.message})`;
    return { records: splitter.records, peakBuffered: splitter.peakBuffered, error: `${message}; ${splitter.records} records before it were read`, unreadable: splitter.records === 0 };
  }
}
