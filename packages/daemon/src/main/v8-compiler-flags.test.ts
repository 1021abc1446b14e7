import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { COMPILERS_OFF, compilersOn } from './v8-compiler-flags.js';

/** Whether `hot` ends up optimized, in a node started with `flags` and switched with `after` (natives syntax). */
function optimizedAfter(before: string, after: string | null): boolean {
  const script = `
    const v8 = require('node:v8');
    v8.setFlagsFromString(${JSON.stringify(before)});
    ${after === null ? '' : `v8.setFlagsFromString(${JSON.stringify(after)});`}
    function hot(x) { let s = 0; for (let i = 0; i < 50; i++) s += i * x; return s; }
    // kOptimized (16): the function runs optimized code (TurboFan or Maglev). Compiling it
    // is a background job, so calls go on (up to a cap) until it is there.
    const optimized = () => (%GetOptimizationStatus(hot) & 16) !== 0;
    let t = 0;
    for (let round = 0; round < 30 && !optimized(); round++) for (let i = 0; i < 1e5; i++) t += hot(i);
    console.log(optimized());`;
  const run = spawnSync(process.execPath, ['--allow-natives-syntax', '-e', script], { encoding: 'utf8' });
  expect(run.status, run.stderr).toBe(0);
  return run.stdout.trim() === 'true';
}

describe('the flags of compilers on demand, on this node', () => {
  it('off: nothing is optimized; on again: it is', () => {
    expect(optimizedAfter(COMPILERS_OFF, null)).toBe(false);
    expect(optimizedAfter(COMPILERS_OFF, compilersOn())).toBe(true);
  });

  it('turns Maglev back on only where V8 has it on by default', () => {
    expect(compilersOn('11.3.244.8-node.38')).not.toContain('maglev');
    expect(compilersOn('13.6.233.17-node.53')).toContain('--maglev');
  });
});
