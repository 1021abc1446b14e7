import { afterEach, describe, expect, it } from 'vitest';
import { ScreenBuffer } from './screen-buffer.js';

let screen: ScreenBuffer | undefined;

afterEach(() => {
  screen?.dispose();
  screen = undefined;
});

function make(cols = 20, rows = 5, scrollback = 100): ScreenBuffer {
  screen = new ScreenBuffer({ cols, rows, scrollback });
  return screen;
}

describe('ScreenBuffer', () => {
  it('shows lines as a terminal would, trailing blank lines trimmed', async () => {
    const s = make();
    s.write('hello\r\nworld   \r\n\r\n');
    expect(await s.capture()).toBe('hello\nworld');
  });

  it('applies carriage-return overwrites, cursor moves and clears', async () => {
    const s = make();
    s.write('progress 10%\rprogress 99%\r\n');
    s.write('abc\x1b[2Dz\r\n'); // cursor left 2, overwrite "b"
    expect(await s.capture()).toBe('progress 99%\nazc');
    s.write('\x1b[2J\x1b[H'); // clear screen, cursor home
    s.write('fresh');
    expect(await s.capture()).toBe('fresh');
  });

  it('a snapshot says where the cursor is, so a viewer that draws the screen puts the next output there', async () => {
    const s = make(20, 3);
    s.write('hello\r\nwor');
    expect(await s.snapshot()).toEqual({ text: 'hello\nwor', cursor: { x: 3, y: 1 } });
    for (let i = 1; i <= 5; i++) s.write(`\r\nline ${i}`);
    s.write('\r\n');
    // Scrolled: the row is on the visible screen, under its last line.
    expect(await s.snapshot()).toEqual({ text: 'line 4\nline 5', cursor: { x: 0, y: 2 } });
  });

  it('returns the last N lines across scrollback and screen', async () => {
    const s = make(20, 3);
    for (let i = 1; i <= 8; i++) s.write(`line ${i}\r\n`);
    expect(await s.capture()).toBe('line 7\nline 8');
    expect(await s.capture(4)).toBe('line 5\nline 6\nline 7\nline 8');
    expect((await s.capture(100)).split('\n')).toHaveLength(8);
  });

  it('keeps at most the configured scrollback', async () => {
    const s = make(20, 2, 3);
    for (let i = 1; i <= 10; i++) s.write(`n${i}\r\n`);
    expect(await s.capture(100)).toBe('n7\nn8\nn9\nn10');
  });

  it('wraps long lines at the width and follows a resize', async () => {
    const s = make(5, 4);
    s.write('abcdefgh\r\n');
    expect(await s.capture()).toBe('abcde\nfgh');
    s.resize(10, 4);
    expect([s.cols, s.rows]).toEqual([10, 4]);
    s.write('0123456789');
    expect((await s.capture()).split('\n').at(-1)).toBe('0123456789');
  });

  it('answers a cursor-position query the way a terminal does', async () => {
    const s = make();
    const replies: string[] = [];
    s.onReply((data) => replies.push(data));
    s.write('ab\x1b[6n');
    await s.flush();
    expect(replies).toEqual(['\x1b[1;3R']);
  });
});
