/**
 * Help text at the terminal's width, wrapped between words.
 *
 * yargs' ESM build lays help out with cliui, whose ESM wrap cuts lines at the
 * width character by character ("--restart: s" / "tart afresh"). So oj has
 * yargs lay the help out unwrapped (`.wrap(null)`) and wraps it here: a row
 * (`  oj done   For agents: ...  [boolean]`) wraps its description under the
 * description column and keeps the bracketed annotations right-aligned, the
 * way yargs shows them; other lines wrap at their own indentation. A word
 * longer than the room it has is left whole.
 */

/** The width help is laid out for: the terminal's, else 100 (pipes, files, docs/cli.md). */
export function helpWidth(stream: { isTTY?: boolean; columns?: number } = process.stdout): number {
  return stream.isTTY && stream.columns && stream.columns > 20 ? stream.columns : 100;
}

/** A row: indentation and first column, then two or more spaces, then the rest. */
const ROW = /^(\s+\S(?:.*?\S)?\s{2,})(\S.*)$/;
/** yargs' annotations at the end of a row: `[boolean]`, `[default: 50]`, `[required]`... */
const ANNOTATIONS = /^(.*?)\s*((?:\[[^\]]*\](?: |$))+)$/;

/** Splits `text` into lines of at most `width` characters, breaking only between words. */
export function wordWrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/ +/).filter(Boolean)) {
    if (line === '') line = word;
    else if (line.length + 1 + word.length <= width) line += ' ' + word;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line !== '' || lines.length === 0) lines.push(line);
  return lines;
}

interface Row {
  lead: string;
  description: string;
  annotations: string;
}

function parseRow(line: string): Row | null {
  const m = ROW.exec(line);
  if (!m) return null;
  const rest = m[2]!;
  const a = ANNOTATIONS.exec(rest);
  return a ? { lead: m[1]!, description: a[1]!, annotations: a[2]!.trim() } : { lead: m[1]!, description: rest, annotations: '' };
}

/** The length a row has on one line, annotations right after the description. */
function naturalLength(r: Row): number {
  return r.lead.length + r.description.length + (r.annotations ? (r.description ? 2 : 0) + r.annotations.length : 0);
}

function layoutRow(r: Row, width: number, align: number): string[] {
  const indent = ' '.repeat(r.lead.length);
  const room = Math.max(10, width - r.lead.length);
  const body = r.description ? wordWrap(r.description, room) : [''];
  const out = body.map((text, i) => (i === 0 ? r.lead : indent) + text);
  if (r.annotations) {
    const last = out[out.length - 1]!;
    const at = Math.max(align, last.length + 2 + r.annotations.length);
    if (at <= width || out.length === 1 && last.trimEnd() === r.lead.trimEnd()) {
      out[out.length - 1] = last.padEnd(at - r.annotations.length) + r.annotations;
    } else {
      out.push(' '.repeat(Math.max(r.lead.length, align - r.annotations.length)) + r.annotations);
    }
  }
  return out.map((l) => l.trimEnd());
}

/** Re-wraps a help text laid out without wrapping (`.wrap(null)`) to `width`. */
export function wrapHelp(text: string, width: number): string {
  const lines = text.split('\n');
  const rows = lines.map((l) => (l.length > 0 && /^\s/.test(l) ? parseRow(l) : null));
  // Annotations line up at the end of the longest row that fits, as yargs aligns them at its width.
  const align = Math.min(width, Math.max(0, ...rows.filter((r): r is Row => r !== null && r.annotations !== '').map(naturalLength)));
  const out: string[] = [];
  lines.forEach((line, i) => {
    const row = rows[i];
    if (row) {
      out.push(...layoutRow(row, width, align));
      return;
    }
    if (line.length <= width) {
      out.push(line);
      return;
    }
    const indent = /^\s*/.exec(line)![0];
    out.push(...wordWrap(line.slice(indent.length), Math.max(10, width - indent.length)).map((l) => indent + l));
  });
  return out.join('\n');
}
