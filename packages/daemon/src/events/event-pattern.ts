/**
 * Event name patterns: `*` matches any run of characters, everything else
 * matches itself. `pipeline:*` matches `pipeline:started` and
 * `pipeline:build-auth:complete`.
 */

export function matchesPattern(pattern: string, name: string): boolean {
  return patternToRegExp(pattern).test(name);
}

const cache = new Map<string, RegExp>();

export function patternToRegExp(pattern: string): RegExp {
  let re = cache.get(pattern);
  if (!re) {
    const body = pattern
      .split('*')
      .map((part) => part.replace(/[.+?^${}()|[\]\\/-]/g, '\\$&'))
      .join('.*');
    re = new RegExp(`^${body}$`);
    if (cache.size > 1000) cache.clear();
    cache.set(pattern, re);
  }
  return re;
}

