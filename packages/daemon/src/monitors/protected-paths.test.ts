import { describe, expect, it } from 'vitest';
import { protectedPaths } from './protected-paths.js';

describe('protectedPaths', () => {
  const p = protectedPaths(['.git', 'src/keep', '/abs/data', '~/important', 'work/**/keep-*'], '/proj', '/home/me');
  it('protects the path, what is inside it and what contains it', () => {
    expect(p.match('/proj/.git')).toBe('.git');
    expect(p.match('.git/objects/x')).toBe('.git');
    expect(p.match('/proj/src')).toBe('src/keep');
    expect(p.match('/proj')).toBe('.git');
    expect(p.match('/abs/data/file')).toBe('/abs/data');
    expect(p.match('~/important/x')).toBe('~/important');
    expect(p.match('/home/me/important')).toBe('~/important');
  });
  it('leaves other paths alone', () => {
    expect(p.match('/proj/src/other')).toBeNull();
    expect(p.match('/proj/build/out')).toBeNull();
    expect(p.match('/abs/database')).toBeNull();
  });
  it('matches globs within and across segments', () => {
    expect(p.match('/proj/work/a/b/keep-1')).toBe('work/**/keep-*');
    expect(p.match('/proj/work/keep-2/file')).toBe('work/**/keep-*');
    expect(p.match('/proj/work/a/drop-1')).toBeNull();
    expect(p.match('/proj/work')).toBeNull();
  });
});
