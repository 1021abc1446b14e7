/**
 * Best-effort line numbers for problems found after parsing (the TOML parser
 * keeps no positions). A problem is placed on the line of its field's key
 * when that can be found in its table, else on its table header; when
 * neither is found it gets no line rather than a wrong one.
 */
import type { RunbookError } from './runbook-error.js';

interface Header {
  path: string;
  line: number;
}

const HEADER = /^\s*\[\[?\s*([^\]]+?)\s*\]\]?\s*(#.*)?$/;

function normalise(path: string): string {
  return path
    .split('.')
    .map((part) => part.trim().replace(/^["']|["']$/g, ''))
    .join('.');
}

export class SourceLocator {
  private readonly lines: string[];
  private readonly headers: Header[] = [];

  constructor(text: string) {
    this.lines = text.split('\n');
    this.lines.forEach((line, index) => {
      const match = HEADER.exec(line);
      if (match !== null) this.headers.push({ path: normalise(match[1]!), line: index + 1 });
    });
  }

  /** 1-based line of the `occurrence`-th header `[path]` / `[[path]]`. */
  header(path: string, occurrence = 0): number | undefined {
    return this.headers.filter((h) => h.path === path)[occurrence]?.line;
  }

  /** 1-based line of `key = ...` within the table whose header is at `headerLine` (0: top level). */
  key(headerLine: number, key: string): number | undefined {
    const pattern = new RegExp(`^\\s*["']?${key}["']?\\s*=`);
    for (let i = headerLine; i < this.lines.length; i++) {
      const line = this.lines[i]!;
      if (HEADER.test(line)) return undefined;
      if (pattern.test(line)) return i + 1;
    }
    return undefined;
  }

  /** First line of a top-level table or key named `name` (for unknown kinds). */
  topLevel(name: string): number | undefined {
    const header = this.headers.find((h) => h.path === name || h.path.startsWith(`${name}.`));
    return header?.line ?? this.key(0, name);
  }

  /** The line for an error, or undefined. */
  locate(error: RunbookError): number | undefined {
    let table = '';
    let headerLine = 0;
    /** An element written inline (`inputs = [{...}]`): its key line is the best place. */
    let inlineElement: string | undefined;
    if (error.kind !== undefined) {
      table = error.name === undefined ? error.kind : `${error.kind}.${error.name}`;
      let occurrence = 0;
      const element = /^(\w+)\[(\d+)\]/.exec(error.at ?? '');
      if (element !== null && this.header(`${table}.${element[1]!}`) !== undefined) {
        table = `${table}.${element[1]!}`;
        occurrence = Number(element[2]);
      } else if (element !== null) {
        inlineElement = element[1];
      }
      const found = this.header(table, occurrence);
      if (found === undefined) return this.withoutHeader(error);
      headerLine = found;
    }
    if (inlineElement !== undefined) return this.key(headerLine, inlineElement) ?? headerLine;
    if (error.field === undefined) return table === '' ? undefined : headerLine;
    const parts = error.field.split('.').map((p) => p.replace(/\[\d+\]$/, ''));
    // Walk nested tables written as their own headers: [queue.bugs.dead] for dead.retention.
    while (parts.length > 1) {
      const path = table === '' ? parts[0]! : `${table}.${parts[0]!}`;
      const sub = this.header(path);
      if (sub === undefined) break;
      table = path;
      headerLine = sub;
      parts.shift();
    }
    const line = this.key(headerLine, parts[0]!);
    return line ?? (table === '' ? undefined : headerLine);
  }

  /** A primitive written as a key (`[command]` then `bad = ...`, or `pipeline = 3`). */
  private withoutHeader(error: RunbookError): number | undefined {
    if (error.kind === undefined) return undefined;
    if (error.name === undefined) return this.key(0, error.kind);
    const kindHeader = this.header(error.kind);
    return kindHeader === undefined ? undefined : this.key(kindHeader, error.name);
  }
}

/** Fill in `line` where it can be found; errors keep their order. */
export function locateErrors(errors: RunbookError[], textByFile: ReadonlyMap<string, string>): void {
  const locators = new Map<string, SourceLocator>();
  for (const error of errors) {
    if (error.line !== undefined) continue;
    const text = textByFile.get(error.file);
    if (text === undefined) continue;
    let locator = locators.get(error.file);
    if (locator === undefined) {
      locator = new SourceLocator(text);
      locators.set(error.file, locator);
    }
    const line = locator.locate(error);
    if (line !== undefined) error.line = line;
  }
}
