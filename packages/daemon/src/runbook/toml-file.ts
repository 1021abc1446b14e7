/** Parsing TOML text with syntax errors turned into located RunbookErrors. */
import TOML from '@iarna/toml';
import type { RunbookError } from './runbook-error.js';
import type { TomlTable } from './toml-value.js';

export type TomlParse = { ok: true; table: TomlTable } | { ok: false; error: RunbookError };

interface TomlSyntaxError {
  line?: number;
  col?: number;
  message: string;
}

export function parseToml(text: string, file: string): TomlParse {
  try {
    return { ok: true, table: TOML.parse(text) as TomlTable };
  } catch (error) {
    const e = error as TomlSyntaxError;
    const first = (e.message ?? String(error)).split('\n')[0] ?? '';
    const message = first.replace(/ at row \d+, col \d+, pos \d+:?$/, '');
    const located: RunbookError = { file, message: `TOML syntax error: ${message}` };
    if (typeof e.line === 'number') located.line = e.line + 1;
    if (typeof e.col === 'number') located.message += ` (column ${e.col + 1})`;
    return { ok: false, error: located };
  }
}
