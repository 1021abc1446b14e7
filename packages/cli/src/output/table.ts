/** Aligned, borderless tables and indented blocks for human output. */

/**
 * A table: a header row and one row per entry, columns two spaces apart,
 * ending with one newline (no blank line after it). A cell of several lines
 * keeps them in its column, the row's other cells blank beside them.
 */
export function formatTable(headers: string[], rows: string[][]): string {
  const split = rows.map((r) => headers.map((_, i) => (r[i] ?? '').split('\n')));
  const widths = headers.map((h, i) => Math.max(visibleLength(h), ...split.flatMap((r) => r[i]!.map(visibleLength))));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c + ' '.repeat((widths[i] ?? 0) - visibleLength(c))))
      .join('  ')
      .trimEnd();
  const lines = [line(headers.map((h) => h.toUpperCase()))];
  for (const cells of split) {
    const height = Math.max(...cells.map((c) => c.length));
    for (let k = 0; k < height; k++) lines.push(line(cells.map((c) => c[k] ?? '')));
  }
  return lines.join('\n') + '\n';
}

/** `text` with `prefix` before each non-empty line (a trailing newline stays the end). */
export function indentBlock(text: string, prefix: string): string {
  return text.replace(/^(?=.)/gm, prefix);
}

/**
 * One `label value` line of a detail view (`  error      ...`): a value of
 * several lines keeps the value column on every line.
 */
export function field(label: string, value: string, labelWidth = 10, indent = '  '): string {
  const lead = indent + label.padEnd(labelWidth) + ' ';
  return lead + value.split('\n').join('\n' + ' '.repeat(lead.length));
}

function visibleLength(s: string): number {
  return s.replace(/\x1b\[[0-9;]*m/g, '').length;
}
