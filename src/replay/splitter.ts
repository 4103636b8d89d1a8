// A small streaming splitter for CloudTrail log files. It finds the byte ranges of individual records
// without parsing anything else, so a multi-GB `{"Records":[…]}` document is processed in constant memory:
//   - `{"Records":[{…},{…}]}` (CloudTrail's S3 log files; also `{"Events":[…]}`, the LookupEvents/CLI shape):
//     each element of the array is one record, the rest of the document is skipped;
import { TrailwatchError } from "../errors.js";
//   - JSON lines, or any run of concatenated objects: each top-level object is one record;
//   - a top-level array `[{…},{…}]`: each element is one record.
// Each record's bytes are handed to `onRecord` for JSON.parse. Strings are skipped with Buffer.indexOf (native
// speed); only structure outside strings is looked at byte by byte.

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const LBRACE = 0x7b;
const RBRACE = 0x7d;
const LBRACKET = 0x5b;
const RBRACKET = 0x5d;

/** Keys whose array value holds the records of a document. */
const RECORD_ARRAY_KEYS = new Set(["Records", "Events"]);

export class SplitError extends TrailwatchError {
  constructor(message: string) {
    super("replay-input-invalid", message);
  }
}

export interface SplitterOptions {
  /** A single record larger than this is an error (a corrupt or hostile file must not exhaust memory). */
  maxRecordBytes?: number | undefined;
}

type Mode =
  | "top" // between top-level values
  | "object" // inside a top-level object that is (so far) one record
  | "records" // inside the Records array of a top-level object
  | "after-records" // inside a top-level object, after its Records array
  | "array"; // inside a top-level array of records

export class RecordSplitter {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 0;
  /** Bytes of the stream before `buf[0]` (for error offsets). */
  private base = 0;
  private depth = 0;
  private mode: Mode = "top";
  /** Start of the record being captured in `buf`, or -1. */
  private capStart = -1;
  /** Depth at which the captured record's object began. */
  private capDepth = 0;
  /** Start of the string being scanned (`buf` offset), or -1 when not inside a string. */
  private strStart = -1;
  /** The last string seen at depth 1 of a top-level object (a key candidate), if short. */
  private lastKey: string | null = null;
  private readonly maxRecordBytes: number;
  records = 0;
  /** The most bytes held at once (a record spanning chunks, plus the chunk): constant-memory evidence. */
  peakBuffered = 0;

  constructor(
    private readonly onRecord: (bytes: Buffer) => void,
    opts: SplitterOptions = {},
  ) {
    this.maxRecordBytes = opts.maxRecordBytes ?? 64 * 1024 * 1024;
  }

  /** Feeds the next chunk; throws SplitError on input that is not JSON records. */
  push(chunk: Buffer): void {
    const keep = this.keepFrom();
    if (keep < this.buf.length) {
      this.buf = Buffer.concat([this.buf.subarray(keep), chunk]);
    } else {
      this.buf = chunk;
    }
    this.base += keep;
    this.pos -= keep;
    if (this.capStart >= 0) this.capStart -= keep;
    if (this.strStart >= 0) this.strStart -= keep;
    if (this.buf.length > this.peakBuffered) this.peakBuffered = this.buf.length;
    this.scan();
    if (this.capStart >= 0 && this.buf.length - this.capStart > this.maxRecordBytes) {
      throw new SplitError(`a record is larger than ${Math.round(this.maxRecordBytes / 1048576)} MB (at byte ${this.base + this.capStart})`);
    }
  }

  /** Call at end of input; throws SplitError when the input ended inside a value. */
  end(): void {
    if (this.strStart >= 0 || this.depth > 0) {
      throw new SplitError(`truncated JSON: the input ends inside ${this.mode === "records" || this.mode === "array" ? "the list of records" : "a record"} (after ${this.records} complete records)`);
    }
  }

  /** The first byte still needed: the record being captured, else the string being scanned, else the scan position. */
  private keepFrom(): number {
    if (this.capStart >= 0) return this.capStart;
    if (this.strStart >= 0) return this.strStart;
    return this.pos;
  }

  private fail(what: string): never {
    throw new SplitError(`not JSON: ${what} at byte ${this.base + this.pos}`);
  }

  private scan(): void {
    const buf = this.buf;
    const n = buf.length;
    let pos = this.pos;
    while (pos < n) {
      if (this.strStart >= 0) {
        // Inside a string: jump to the next quote not escaped by an odd run of backslashes.
        let q = buf.indexOf(QUOTE, pos);
        for (;;) {
          if (q < 0) {
            this.pos = n;
            return;
          }
          let bs = 0;
          for (let i = q - 1; i > this.strStart && buf[i] === BACKSLASH; i--) bs++;
          if (bs % 2 === 0) break;
          q = buf.indexOf(QUOTE, q + 1);
        }
        if (this.depth === 1 && this.mode === "object") {
          const len = q - this.strStart - 1;
          this.lastKey = len <= 16 ? buf.toString("latin1", this.strStart + 1, q) : null;
        }
        this.strStart = -1;
        pos = q + 1;
        continue;
      }
      const c = buf[pos] as number;
      if (c === QUOTE) {
        if (this.depth === 0) {
          this.pos = pos;
          this.fail("a string outside any object");
        }
        this.strStart = pos;
        pos++;
        continue;
      }
      if (c === LBRACE || c === LBRACKET) {
        if (this.depth === 0) {
          this.mode = c === LBRACE ? "object" : "array";
          if (c === LBRACE) {
            this.capStart = pos;
            this.capDepth = 0;
          }
          this.lastKey = null;
        } else if (this.mode === "object" && this.depth === 1 && c === LBRACKET && this.lastKey !== null && RECORD_ARRAY_KEYS.has(this.lastKey)) {
          // `{"Records":[`: stop capturing the document; capture each element instead.
          this.mode = "records";
          this.capStart = -1;
        } else if ((this.mode === "records" && this.depth === 2) || (this.mode === "array" && this.depth === 1)) {
          if (c === LBRACE) {
            this.capStart = pos;
            this.capDepth = this.depth;
          } else {
            this.pos = pos;
            this.fail("a list where a record should be");
          }
        }
        this.depth++;
        pos++;
        continue;
      }
      if (c === RBRACE || c === RBRACKET) {
        if (this.depth === 0) {
          this.pos = pos;
          this.fail(`an unexpected "${String.fromCharCode(c)}"`);
        }
        this.depth--;
        if (this.capStart >= 0 && this.depth === this.capDepth) {
          this.emit(this.capStart, pos + 1);
          this.capStart = -1;
        } else if (this.mode === "records" && this.depth === 1) {
          this.mode = "after-records";
        }
        if (this.depth === 0) this.mode = "top";
        pos++;
        continue;
      }
      if (this.depth === 0 && c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09 && c !== 0x2c) {
        // Between top-level values only whitespace (and the commas of a sloppy concatenation) may appear.
        if (pos === 0 && this.base === 0 && c === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) {
          pos += 3; // UTF-8 byte order mark
          continue;
        }
        this.pos = pos;
        this.fail(`unexpected ${c < 0x20 || c > 0x7e ? `byte 0x${c.toString(16).padStart(2, "0")}` : `"${String.fromCharCode(c)}"`}`);
      }
      pos++;
    }
    this.pos = pos;
  }

  private emit(start: number, end: number): void {
    this.records++;
    this.onRecord(this.buf.subarray(start, end));
  }
}
