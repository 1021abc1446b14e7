/**
 * The V8 flags of compilers on demand (v8-compilers.ts): what bin/ojd.js sets
 * before any of the daemon's code loads, and what turns V8's compilers back
 * on once the daemon is busy. Node builtins only, and no other import:
 * bin/ojd.js loads this file on its own, before the daemon.
 */

/** Every compiler above V8's interpreter: Sparkplug (baseline), Maglev and TurboFan (optimizing). */
export const COMPILERS_OFF = '--no-sparkplug --no-maglev --no-opt';

/**
 * V8's defaults back: Sparkplug and TurboFan everywhere, Maglev where V8
 * turns it on by default (V8 12 and later: Node 22, 24; off in Node 20's V8
 * 11.3, where it is not to be switched on).
 */
export function compilersOn(v8Version: string = process.versions.v8): string {
  const major = Number.parseInt(v8Version, 10);
  return major >= 12 ? '--sparkplug --maglev --opt' : '--sparkplug --opt';
}
