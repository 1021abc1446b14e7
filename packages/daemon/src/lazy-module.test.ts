import { describe, expect, it } from 'vitest';
import { LazyLoadError, lazyImport, lazyValue } from './lazy-module.js';

describe('lazyImport', () => {
  it('loads once, on the first call, and shares the module', async () => {
    let loads = 0;
    const load = lazyImport('a module', () => {
      loads++;
      return import('node:path');
    });
    expect(loads).toBe(0);
    const [a, b] = await Promise.all([load(), load()]);
    expect(a).toBe(b);
    expect(typeof a.join).toBe('function');
    await load();
    expect(loads).toBe(1);
  });

  it('fails the call with an error naming what could not be loaded and why, and tries again next time', async () => {
    let attempt = 0;
    const missing = './no-such-module-anywhere.js';
    const load = lazyImport('the widget runtime', () => {
      attempt++;
      return attempt === 1 ? (import(missing) as Promise<typeof import('node:path')>) : import('node:path');
    });
    const err = await load().catch((e: unknown) => e);
    expect(err).toBeInstanceOf(LazyLoadError);
    expect((err as Error).message).toMatch(/^could not load the widget runtime: .*no-such-module-anywhere/);
    expect((err as Error).cause).toBeInstanceOf(Error);
    await expect(load()).resolves.toHaveProperty('join');
    expect(attempt).toBe(2);
  });
});

describe('lazyValue', () => {
  it('builds the value on first use only', () => {
    let builds = 0;
    const value = lazyValue('a value', () => ({ n: ++builds }));
    expect(builds).toBe(0);
    expect(value()).toBe(value());
    expect(builds).toBe(1);
  });

  it('throws a LazyLoadError with the cause, and builds again on the next call', () => {
    let attempt = 0;
    const value = lazyValue('handlebars (prompt templates)', () => {
      if (++attempt === 1) throw new Error("Cannot find module 'handlebars'");
      return 42;
    });
    expect(() => value()).toThrow("could not load handlebars (prompt templates): Cannot find module 'handlebars'");
    expect(value()).toBe(42);
  });
});
