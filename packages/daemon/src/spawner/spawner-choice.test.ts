import { describe, expect, it } from 'vitest';
import { chooseSpawner } from './spawner-choice.js';

const all = { native: '/x/oj-spawn', node: true };
const noNative = { native: null, node: true };
const neither = { native: null, node: false };

describe('chooseSpawner', () => {
  it('takes the native helper when it is built and nothing is asked for', () => {
    expect(chooseSpawner(undefined, all)).toEqual({ kind: 'native', fallback: null });
    expect(chooseSpawner('', all)).toEqual({ kind: 'native', fallback: null });
  });

  it('falls back to the Node spawner, saying why, when the helper is not built', () => {
    const c = chooseSpawner(undefined, noNative);
    expect(c.kind).toBe('node');
    expect(c.fallback).toMatch(/native spawner is not built .*oj-spawn.*npm run build/);
  });

  it('runs inline from sources with neither built', () => {
    expect(chooseSpawner(undefined, neither)).toMatchObject({ kind: 'inline', fallback: expect.stringContaining('Node spawner') });
  });

  it('takes the one OJ_SPAWNER names, with no fallback note', () => {
    expect(chooseSpawner('node', all)).toEqual({ kind: 'node', fallback: null });
    expect(chooseSpawner('inline', all)).toEqual({ kind: 'inline', fallback: null });
    expect(chooseSpawner(' native ', all)).toEqual({ kind: 'native', fallback: null });
  });

  it('refuses, in words, a spawner that is asked for and missing, or a name it does not know', () => {
    expect(() => chooseSpawner('native', noNative)).toThrow(/^OJ_SPAWNER=native, but oj's native spawner is not built \(.*oj-spawn is missing/);
    expect(() => chooseSpawner('node', neither)).toThrow(/^OJ_SPAWNER=node, but the Node spawner is not compiled/);
    expect(() => chooseSpawner('fork', all)).toThrow('OJ_SPAWNER must be one of native, node, inline (got "fork")');
  });
});
