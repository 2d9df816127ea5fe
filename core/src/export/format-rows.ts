/** One export line: CSV (RFC 4180, CRLF) or JSON Lines. */
export type ExportFormat = "csv" | "jsonl";

const FORMULA_START = /^[=+\-@\t\r]/;
const NUMBER = /^-?\d+(\.\d+)?$/;

/**
 * One CSV cell. Text that a spreadsheet would run as a formula (`=`, `+`, `-`, `@`, tab, CR first) gets a leading
 * apostrophe (OWASP's advice); a plain number such as `-12.5` is no formula and stays a number.
 */
export function csvCell(value: unknown): string {
  if (value === null || value === undefined) return "";
  if (typeof value === "number" || typeof value === "bigint") return String(value);
  let text = String(value);
  if (FORMULA_START.test(text) && !NUMBER.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) || text !== text.trim() ? `"${text.replaceAll('"', '""')}"` : text;
}

export const csvLine = (cells: unknown[]): string => `${cells.map(csvCell).join(",")}\r\n`;

/** Minor units as an exact decimal string in whole units, for CSV (no float ever touches it): `-1234n, 2` -> `-12.34`. */
export function decimal(minor: bigint, scale: number): string {
  if (scale === 0) return minor.toString();
  const negative = minor < 0n;
  const digits = (negative ? -minor : minor).toString().padStart(scale + 1, "0");
  return `${negative ? "-" : ""}${digits.slice(0, -scale)}.${digits.slice(-scale)}`;
}

/**
 * Rows of objects as text of one format, the CSV header first. Lines are joined per `chunkRows` rows, so a
 * million-row export is a thousand writes, not a million.
 */
export async function* formatRows<T extends Record<string, unknown>>(
  rows: AsyncIterable<T>,
  format: ExportFormat,
  columns: readonly (keyof T & string)[],
  csvValue: (row: T, column: keyof T & string) => unknown = (row, column) => row[column],
  chunkRows = 1000,
): AsyncGenerator<string> {
  let chunk = format === "csv" ? csvLine([...columns]) : "";
  let count = 0;
  for await (const row of rows) {
    chunk +=
      format === "csv"
        ? csvLine(columns.map((c) => csvValue(row, c)))
        : `${JSON.stringify(row, (_k, v) => (typeof v === "bigint" ? v.toString() : v))}\n`;
    if (++count % chunkRows === 0) {
      yield chunk;
      chunk = "";
    }
  }
  if (chunk) yield chunk;
}
