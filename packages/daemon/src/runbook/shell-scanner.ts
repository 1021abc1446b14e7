/**
 * A small bash-aware scanner that finds the placeholders in a shell string and
 * the quoting context each one stands in, so interpolation can quote the
 * value for exactly that context.
 *
 * Contexts it quotes into: bare words (also inside `$(...)`), double quotes,
 * single quotes and `$'...'`. It follows backslash escapes, comments and
 * here-documents.
 *
 * Contexts it refuses (an error, never a guess): placeholders inside
 * backticks, `${...}`, here-document bodies and delimiters, after a `case`
 * inside `$(...)` (whose `)` patterns would make the scanner lose track of
 * the nesting), and inside `$((...))`, `((...))` and `$[...]`, which it skips
 * whole. Placeholders inside comments are left as they are. An unterminated
 * quote or `$(` is an error.
 *
 * The other places where bash evaluates a quoted value as code (array
 * subscripts, `let`, `eval`, `[[ ... -eq ... ]]`, `-v`...) are found by a
 * real bash parser afterwards: shell-code-context.ts.
 */
import { placeholderAt, textPlaceholders, type PlaceholderMatch } from './placeholder.js';
import { ARITHMETIC_HINT, VARIABLE_HINT } from './shell-hints.js';

export type ShellContext = 'bare' | 'double' | 'single' | 'ansi';

export type ShellPart =
  | { type: 'text'; text: string }
  | { type: 'placeholder'; match: PlaceholderMatch; context: ShellContext };

/**
 * An output redirection (`>`, `>>`, `>|`, `&>`, `2>`...) outside quotes and
 * `[[ ... ]]`, with its target when that is a plain word (no quotes, no
 * expansion, no placeholder); `command` is the text of the command before it.
 */
export interface ShellRedirect {
  index: number;
  operator: string;
  target: string | null;
  /** The operator and its target as written, e.g. `> 5m`, `>10`. */
  text: string;
  command: string;
}

export type ShellScan =
  | { ok: true; parts: ShellPart[]; redirects: ShellRedirect[] }
  | { ok: false; message: string; hint?: string; index: number };

type Frame =
  | { type: 'cmd'; nested: boolean; depth: number }
  | { type: 'double' }
  | { type: 'single' }
  | { type: 'ansi' };

class ScanError extends Error {
  constructor(
    message: string,
    readonly index: number,
    readonly hint?: string,
  ) {
    super(message);
  }
}

const WORD_BREAK = /[\s;&|()<>]/;
class Scanner {
  private readonly parts: ShellPart[] = [];
  private literal = '';
  private i = 0;
  private readonly stack: Frame[] = [{ type: 'cmd', nested: false, depth: 0 }];
  private readonly heredocs: Array<{ delimiter: string; stripTabs: boolean }> = [];
  /** Set once a `case` appears inside `$(...)`: nesting can no longer be trusted. */
  private caseInSubstitution = -1;
  /** The end of the current `[[ ... ]]`, where `>` compares strings instead of redirecting. */
  private testEnd = -1;
  readonly redirects: ShellRedirect[] = [];

  constructor(private readonly s: string) {}

  run(): ShellPart[] {
    while (this.i < this.s.length) {
      const frame = this.stack[this.stack.length - 1]!;
      switch (frame.type) {
        case 'cmd':
          this.stepCommand(frame);
          break;
        case 'double':
          this.stepDouble();
          break;
        case 'single':
          this.stepSingle();
          break;
        case 'ansi':
          this.stepAnsi();
          break;
      }
    }
    const open = this.stack[this.stack.length - 1]!;
    if (this.stack.length > 1) {
      const what = { cmd: '"$("', double: 'double quote', single: 'single quote', ansi: "\"$'\" quote" }[open.type];
      throw new ScanError(`unterminated ${what}`, this.s.length);
    }
    if (this.literal !== '') this.parts.push({ type: 'text', text: this.literal });
    return this.parts;
  }

  private copy(count = 1): void {
    this.literal += this.s.slice(this.i, this.i + count);
    this.i += count;
  }

  private at(offset = 0): string | undefined {
    return this.s[this.i + offset];
  }

  private atWordStart(): boolean {
    const previous = this.s[this.i - 1];
    return previous === undefined || WORD_BREAK.test(previous);
  }

  /** A placeholder at the cursor in `context`, or copy the brace run. */
  private brace(context: ShellContext): void {
    const match = placeholderAt(this.s, this.i);
    if (match === null) {
      let end = this.i;
      while (this.s[end] === '{') end++;
      this.copy(end - this.i);
      return;
    }
    if (this.caseInSubstitution !== -1) {
      throw new ScanError(
        `placeholder {${match.path}} comes after a "case" inside $(...), where its quoting cannot be tracked`,
        this.i,
        'move the case statement out of the command substitution, or ' + VARIABLE_HINT,
      );
    }
    if (this.literal !== '') this.parts.push({ type: 'text', text: this.literal });
    this.literal = '';
    this.parts.push({ type: 'placeholder', match, context });
    this.i = match.end;
  }

  /**
   * Copy an opaque region [i, end) after checking it holds no placeholder.
   * `code`: bash evaluates the region's text as code (arithmetic).
   */
  private opaque(end: number, where: string, hint: string, code = false): void {
    const region = this.s.slice(this.i, end);
    const found = textPlaceholders(region)[0];
    if (found !== undefined) {
      const why = code ? 'where bash evaluates text as code' : 'cannot be quoted safely';
      throw new ScanError(`placeholder {${found.path}} inside ${where} ${why}`, this.i + found.start, hint);
    }
    this.copy(end - this.i);
  }

  /** `$` in a command or double-quote context. */
  private dollar(inDouble: boolean): void {
    const next = this.at(1);
    if (next === '(' && this.at(2) === '(') {
      this.opaque(this.findArithmeticEnd(this.i + 3), '$((...))', ARITHMETIC_HINT, true);
    } else if (next === '[') {
      const close = this.s.indexOf(']', this.i + 2);
      if (close === -1) throw new ScanError('unterminated $[', this.i);
      this.opaque(close + 1, '$[...]', ARITHMETIC_HINT, true);
    } else if (next === '(') {
      this.copy(2);
      this.stack.push({ type: 'cmd', nested: true, depth: 0 });
    } else if (next === '{') {
      this.opaque(this.findParameterEnd(), '${...}', VARIABLE_HINT);
    } else if (next === "'" && !inDouble) {
      this.copy(2);
      this.stack.push({ type: 'ansi' });
    } else if (next === '"' && !inDouble) {
      this.copy(2);
      this.stack.push({ type: 'double' });
    } else {
      this.copy();
    }
  }

  private backtick(): void {
    let j = this.i + 1;
    while (j < this.s.length && this.s[j] !== '`') j += this.s[j] === '\\' ? 2 : 1;
    if (j >= this.s.length) throw new ScanError('unterminated backtick', this.i);
    this.opaque(j + 1, 'backticks', 'use $(...) instead of backticks');
  }

  private stepCommand(frame: Extract<Frame, { type: 'cmd' }>): void {
    const ch = this.at()!;
    if (ch === '\\') return this.copy(2);
    if (ch === "'") {
      this.copy();
      this.stack.push({ type: 'single' });
      return;
    }
    if (ch === '"') {
      this.copy();
      this.stack.push({ type: 'double' });
      return;
    }
    if (ch === '$') return this.dollar(false);
    if (ch === '`') return this.backtick();
    if (ch === '{') return this.brace('bare');
    if (ch === '(' && this.at(1) === '(' && this.atWordStart()) {
      return this.opaque(this.findArithmeticEnd(this.i + 2), '((...))', ARITHMETIC_HINT, true);
    }
    if (this.atWordStart()) this.noteTest();
    if (ch === '(' && frame.nested) {
      frame.depth++;
      return this.copy();
    }
    if (ch === ')' && frame.nested) {
      if (frame.depth === 0) this.stack.pop();
      else frame.depth--;
      return this.copy();
    }
    if (ch === '#' && this.atWordStart()) {
      const newline = this.s.indexOf('\n', this.i);
      return this.copy((newline === -1 ? this.s.length : newline) - this.i);
    }
    if (ch === '<' && this.at(1) === '<') {
      if (this.at(2) === '<') return this.copy(3);
      return this.heredocOperator();
    }
    if (ch === '\n') {
      this.copy();
      return this.heredocBodies();
    }
    if (ch === '>' && this.i >= this.testEnd) return this.redirect();
    if (ch === 'c' && this.atWordStart() && /^case\s/.test(this.s.slice(this.i, this.i + 5))) {
      if (this.stack.some((f) => f.type === 'cmd' && f.nested) && this.caseInSubstitution === -1) {
        this.caseInSubstitution = this.i;
      }
    }
    this.copy();
  }

  private stepDouble(): void {
    const ch = this.at()!;
    if (ch === '\\') return this.copy(2);
    if (ch === '"') {
      this.stack.pop();
      return this.copy();
    }
    if (ch === '$') return this.dollar(true);
    if (ch === '`') return this.backtick();
    if (ch === '{') return this.brace('double');
    this.copy();
  }

  private stepSingle(): void {
    const ch = this.at()!;
    if (ch === "'") {
      this.stack.pop();
      return this.copy();
    }
    if (ch === '{' && this.s[this.i - 1] !== '\\') return this.brace('single');
    this.copy();
  }

  private stepAnsi(): void {
    const ch = this.at()!;
    if (ch === '\\') return this.copy(2);
    if (ch === "'") {
      this.stack.pop();
      return this.copy();
    }
    if (ch === '{') return this.brace('ansi');
    this.copy();
  }

  /** At a word start: `[[ ... ]]`, inside which `>` compares strings instead of redirecting. */
  private noteTest(): void {
    const rest = this.s.slice(this.i);
    if (!/^\[\[\s/.test(rest)) return;
    const close = rest.search(/\s\]\]/);
    this.testEnd = close === -1 ? this.s.length : this.i + close + 3;
  }

  /**
   * `>` in a command: note the redirection and its target word, then copy the operator.
   * `>&` (duplicating a descriptor) and `>(` (process substitution) write no file.
   */
  private redirect(): void {
    const boundary = (at: number) => at < 0 || WORD_BREAK.test(this.s[at]!);
    let start = this.i;
    if (this.s[start - 1] === '&' && boundary(start - 2)) start--;
    else {
      let d = start;
      while (d > 0 && /[0-9]/.test(this.s[d - 1]!)) d--;
      if (d < start && boundary(d - 1)) start = d;
    }
    let end = this.i + 1;
    if (this.s[end] === '>' || this.s[end] === '|') end++;
    const next = this.s[end];
    if (next === '&' || next === '(') return this.copy(end - this.i);
    let j = end;
    while (this.s[j] === ' ' || this.s[j] === '\t') j++;
    let k = j;
    while (k < this.s.length && !WORD_BREAK.test(this.s[k]!)) k++;
    const word = this.s.slice(j, k);
    const plain = word !== '' && !/[\\'"$`{}*?[\]]/.test(word);
    let from = start;
    while (from > 0 && !/[\n;&|(`]/.test(this.s[from - 1]!)) from--;
    this.redirects.push({ index: start, operator: this.s.slice(start, end), target: plain ? word : null, text: this.s.slice(start, k), command: this.s.slice(from, start).trim() });
    this.copy(end - this.i);
  }

  private findArithmeticEnd(from: number): number {
    let depth = 2;
    for (let j = from; j < this.s.length; j++) {
      if (this.s[j] === '(') depth++;
      else if (this.s[j] === ')' && --depth === 0) return j + 1;
    }
    throw new ScanError('unterminated ((', this.i);
  }

  private findParameterEnd(): number {
    let depth = 1;
    let j = this.i + 2;
    while (j < this.s.length) {
      const ch = this.s[j]!;
      if (ch === '\\') j += 2;
      else if (ch === "'") {
        const close = this.s.indexOf("'", j + 1);
        if (close === -1) break;
        j = close + 1;
      } else if (ch === '"') {
        j++;
        while (j < this.s.length && this.s[j] !== '"') j += this.s[j] === '\\' ? 2 : 1;
        j++;
      } else {
        if (ch === '{') depth++;
        else if (ch === '}' && --depth === 0) return j + 1;
        j++;
      }
    }
    throw new ScanError('unterminated ${', this.i);
  }

  /** `<<` or `<<-` followed by a delimiter word. */
  private heredocOperator(): void {
    const start = this.i;
    this.copy(2);
    let stripTabs = false;
    if (this.at() === '-') {
      stripTabs = true;
      this.copy();
    }
    while (this.at() === ' ' || this.at() === '\t') this.copy();
    let delimiter = '';
    while (this.i < this.s.length && !WORD_BREAK.test(this.at()!)) {
      const ch = this.at()!;
      if (ch === '{' && placeholderAt(this.s, this.i) !== null) {
        throw new ScanError('a placeholder cannot be a here-document delimiter', this.i);
      }
      if (ch === "'" || ch === '"') {
        const close = this.s.indexOf(ch, this.i + 1);
        if (close === -1) throw new ScanError(`unterminated quote in here-document delimiter`, this.i);
        delimiter += this.s.slice(this.i + 1, close);
        this.copy(close + 1 - this.i);
      } else if (ch === '\\') {
        delimiter += this.at(1) ?? '';
        this.copy(2);
      } else {
        delimiter += ch;
        this.copy();
      }
    }
    if (delimiter === '') throw new ScanError('here-document operator without a delimiter', start);
    this.heredocs.push({ delimiter, stripTabs });
  }

  /** After a newline: copy pending here-document bodies, refusing placeholders in them. */
  private heredocBodies(): void {
    while (this.heredocs.length > 0) {
      const { delimiter, stripTabs } = this.heredocs.shift()!;
      for (;;) {
        if (this.i >= this.s.length) return;
        const newline = this.s.indexOf('\n', this.i);
        const end = newline === -1 ? this.s.length : newline + 1;
        const line = this.s.slice(this.i, newline === -1 ? this.s.length : newline);
        const compared = stripTabs ? line.replace(/^\t+/, '') : line;
        if (compared === delimiter) {
          this.copy(end - this.i);
          break;
        }
        this.opaque(end, 'a here-document body', VARIABLE_HINT);
      }
    }
  }
}

/** Scan a shell string; structural problems are returned, not thrown. */
export function scanShell(template: string): ShellScan {
  try {
    const scanner = new Scanner(template);
    const parts = scanner.run();
    return { ok: true, parts, redirects: scanner.redirects };
  } catch (error) {
    if (error instanceof ScanError) {
      return error.hint === undefined
        ? { ok: false, message: error.message, index: error.index }
        : { ok: false, message: error.message, hint: error.hint, index: error.index };
    }
    throw error;
  }
}
