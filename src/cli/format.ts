/** Small text layouts for the terminal. */

/** A left-aligned table with a header row; cells are turned into single-line text. */
export function table(headers: string[], rows: unknown[][]): string {
  const cells = [headers, ...rows.map((r) => r.map(cell))];
  const widths = headers.map((_, c) => Math.max(...cells.map((r) => (r[c] ?? '').length)));
  const line = (r: string[]) => r.map((v, c) => (v ?? '').padEnd(widths[c])).join('  ').trimEnd();
  return [line(cells[0]), line(widths.map((w) => '-'.repeat(w))), ...cells.slice(1).map(line)].join('\n');
}

function cell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (value instanceof Date) return value.toISOString();
  if (Array.isArray(value)) return value.join(', ');
  return String(value).replace(/\s+/g, ' ');
}

/** A heading for a block of output. */
export function heading(text: string): string {
  return `\n== ${text} ==`;
}

/** `key: value` lines, keys aligned. */
export function keyValues(entries: [string, unknown][]): string {
  const width = Math.max(0, ...entries.map(([k]) => k.length));
  return entries.map(([k, v]) => `${k.padEnd(width)}  ${cell(v)}`).join('\n');
}

/** A number with at most `digits` decimals, or "-" for null. */
export function num(value: number | null | undefined, digits = 2): string {
  if (value === null || value === undefined) return '-';
  return Number.isInteger(value) ? String(value) : value.toFixed(digits);
}
