import { describe, expect, it } from 'vitest';
import { helpWidth, wordWrap, wrapHelp } from './help-wrap.js';

const HELP = [
  'oj: run unattended work from declarative runbooks',
  '',
  'Commands:',
  '  oj status                  What is running, what is stuck, what needs you',
  '  oj done                    For agents: report that the work is done (--error: failed; --restart: start afresh)',
  '',
  'Options:',
  '      --version  Show version number  [boolean]',
  '  -n, --limit    show the newest N (0: all) of everything there is in the state directory  [number] [default: 50]',
  '      --json  [boolean]',
].join('\n');

const words = (s: string) => s.split(/\s+/).filter(Boolean);

describe('wrapHelp', () => {
  it.each([40, 60, 80, 100])('at width %i: no line longer than the width, no word cut', (width) => {
    const out = wrapHelp(HELP, width);
    for (const line of out.split('\n')) expect(line.length, line).toBeLessThanOrEqual(width);
    expect(words(out)).toEqual(words(HELP));
  });

  it('in a wide terminal keeps each row on one line, annotations right-aligned in one column', () => {
    const out = wrapHelp(HELP, 200).split('\n');
    const done = out.find((l) => l.includes('oj done'))!;
    expect(done).toBe('  oj done                    For agents: report that the work is done (--error: failed; --restart: start afresh)');
    const annotated = out.filter((l) => l.endsWith(']'));
    expect(new Set(annotated.map((l) => l.length)).size).toBe(1);
  });

  it('wraps a description under its column', () => {
    const out = wrapHelp(HELP, 60).split('\n');
    const i = out.findIndex((l) => l.includes('oj done'));
    expect(out[i + 1]!.startsWith(' '.repeat(29))).toBe(true);
    expect(out[i + 1]![29]).not.toBe(' ');
  });

  it('leaves a word longer than the room whole', () => {
    expect(wordWrap('a supercalifragilistic word', 5)).toEqual(['a', 'supercalifragilistic', 'word']);
  });

  it("uses the terminal's width, 100 when not a terminal", () => {
    expect(helpWidth({ isTTY: true, columns: 187 })).toBe(187);
    expect(helpWidth({ isTTY: false, columns: 187 })).toBe(100);
    expect(helpWidth({})).toBe(100);
  });
});
