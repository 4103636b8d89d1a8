// RFC 4180 CSV parsing (quoted fields, doubled quotes, embedded commas and newlines, CRLF or LF) and
// the IAM credential report on top of it.

/** Parses CSV text into rows of fields. A trailing newline does not make an empty row. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = "";
  let inQuotes = false;
  let i = 0;
  const src = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  const endRow = (): void => {
    row.push(field);
    field = "";
    if (!(row.length === 1 && row[0] === "")) rows.push(row);
    row = [];
  };
  while (i < src.length) {
    const ch = src[i] as string;
    if (inQuotes) {
      if (ch === '"') {
        if (src[i + 1] === '"') {
          field += '"';
          i += 2;
          continue;
        }
        inQuotes = false;
        i += 1;
        continue;
      }
      field += ch;
      i += 1;
      continue;
    }
    if (ch === '"' && field === "") {
      inQuotes = true;
    } else if (ch === ",") {
      row.push(field);
      field = "";
    } else if (ch === "\r" && src[i + 1] === "\n") {
      endRow();
      i += 1;
    } else if (ch === "\n" || ch === "\r") {
      endRow();
    } else {
      field += ch;
    }
    i += 1;
  }
  if (field !== "" || row.length > 0) endRow();
  return rows;
}

/** Rows as objects keyed by the header row. Missing trailing fields become "". */
function parseCsvRecords(text: string): Record<string, string>[] {
  const [header, ...rows] = parseCsv(text);
  if (!header) return [];
  const keys = header.map((h) => h.trim());
  return rows.map((r) => Object.fromEntries(keys.map((k, idx) => [k, r[idx] ?? ""])));
}

const ROOT_ACCOUNT_ROW = "<root_account>";

/** One row of the credential report. Booleans are null and dates undefined for N/A, no_information, not_supported. */
export interface CredentialReportRow {
  user: string;
  arn: string;
  isRoot: boolean;
  userCreationTime?: Date;
  passwordEnabled: boolean | null;
  passwordLastUsed?: Date;
  /** The raw password_last_used value, e.g. "no_information" or "N/A" when never used. */
  passwordLastUsedRaw: string;
  passwordLastChanged?: Date;
  mfaActive: boolean | null;
  accessKey1Active: boolean | null;
  accessKey2Active: boolean | null;
  raw: Record<string, string>;
}

function parseBool(v: string | undefined): boolean | null {
  const s = (v ?? "").trim().toLowerCase();
  if (s === "true") return true;
  if (s === "false") return false;
  return null;
}

function parseDate(v: string | undefined): Date | undefined {
  const s = (v ?? "").trim();
  if (!/^\d{4}-\d{2}-\d{2}T/.test(s)) return undefined;
  const d = new Date(s);
  return Number.isNaN(d.getTime()) ? undefined : d;
}

export function parseCredentialReport(csv: string): CredentialReportRow[] {
  return parseCsvRecords(csv).map((r) => {
    const user = r["user"] ?? "";
    const row: CredentialReportRow = {
      user,
      arn: r["arn"] ?? "",
      isRoot: user === ROOT_ACCOUNT_ROW,
      passwordEnabled: parseBool(r["password_enabled"]),
      passwordLastUsedRaw: r["password_last_used"] ?? "",
      mfaActive: parseBool(r["mfa_active"]),
      accessKey1Active: parseBool(r["access_key_1_active"]),
      accessKey2Active: parseBool(r["access_key_2_active"]),
      raw: r,
    };
    const created = parseDate(r["user_creation_time"]);
    if (created) row.userCreationTime = created;
    const lastUsed = parseDate(r["password_last_used"]);
    if (lastUsed) row.passwordLastUsed = lastUsed;
    const changed = parseDate(r["password_last_changed"]);
    if (changed) row.passwordLastChanged = changed;
    return row;
  });
}
