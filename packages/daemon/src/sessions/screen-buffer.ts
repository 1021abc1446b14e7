/**
 * The screen a person would see, kept by a headless xterm fed with the pty's
 * output: cursor moves, overwrites and clears are applied, so `capture` shows
 * the result rather than the raw byte stream.
 */
import xtermHeadless from '@xterm/headless';
import type { Terminal as XtermTerminal } from '@xterm/headless';

// @xterm/headless is CommonJS; under ESM only its default export is reliable.
const { Terminal } = xtermHeadless;

export interface ScreenBufferOptions {
  cols: number;
  rows: number;
  /** Lines kept above the visible screen. */
  scrollback: number;
}

export class ScreenBuffer {
  private readonly terminal: XtermTerminal;

  constructor(options: ScreenBufferOptions) {
    this.terminal = new Terminal({
      cols: options.cols,
      rows: options.rows,
      scrollback: options.scrollback,
      // The headless build counts `buffer` (read by capture) as proposed API.
      allowProposedApi: true,
    });
  }

  get cols(): number {
    return this.terminal.cols;
  }

  get rows(): number {
    return this.terminal.rows;
  }

  /** Feeds pty output; parsing is asynchronous, `capture` waits for it. */
  write(data: string): void {
    this.terminal.write(data);
  }

  resize(cols: number, rows: number): void {
    this.terminal.resize(cols, rows);
  }

  /**
   * Replies the terminal sends to the program (answers to cursor-position or
   * device-attribute queries), which a real terminal would type back.
   */
  onReply(listener: (data: string) => void): void {
    this.terminal.onData(listener);
  }

  /**
   * What the terminal shows, after every write so far is applied: by default
   * the visible screen; with `lines`, the last `lines` lines of scrollback +
   * screen. Lines are right-trimmed and trailing blank lines dropped.
   */
  async capture(lines?: number): Promise<string> {
    await this.flush();
    return this.text(lines);
  }

  /** The visible screen and where its cursor is (0-based column and row), together after every write so far. */
  async snapshot(): Promise<{ text: string; cursor: { x: number; y: number } }> {
    await this.flush();
    const b = this.terminal.buffer.active;
    return { text: this.text(), cursor: { x: b.cursorX, y: b.cursorY } };
  }

  private text(lines?: number): string {
    const buffer = this.terminal.buffer.active;
    const first = lines === undefined ? buffer.baseY : 0;
    const last = lines === undefined ? Math.min(buffer.length, buffer.baseY + this.terminal.rows) : buffer.length;
    const text: string[] = [];
    for (let i = first; i < last; i++) {
      text.push((buffer.getLine(i)?.translateToString(true) ?? '').trimEnd());
    }
    let end = text.length;
    while (end > 0 && text[end - 1] === '') end--;
    return text.slice(lines === undefined ? 0 : Math.max(0, end - lines), end).join('\n');
  }

  /** Resolves once every write so far is parsed. */
  flush(): Promise<void> {
    return new Promise((resolve) => this.terminal.write('', resolve));
  }

  dispose(): void {
    this.terminal.dispose();
  }
}
