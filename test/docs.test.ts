/** Generated references must match the code they come from. */
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO } from './helpers/ojd-harness.js';

describe('docs', () => {
  it('docs/rpc.md is generated from the protocol package and up to date', () => {
    expect(() => execFileSync(process.execPath, [join(REPO, 'scripts', 'docs', 'gen-rpc-doc.mjs'), '--check'], { stdio: 'pipe' })).not.toThrow();
  });
});

describe('cli reference', () => {
  it('docs/cli.md is generated from the yargs definitions and up to date', () => {
    expect(() => execFileSync(process.execPath, [join(REPO, 'scripts', 'docs', 'gen-cli-doc.mjs'), '--check'], { stdio: 'pipe' })).not.toThrow();
  }, 120_000);
});

describe('protocol client view', () => {
  it('packages/protocol/src/client-methods.ts matches the method modules', () => {
    expect(() => execFileSync(process.execPath, [join(REPO, 'scripts', 'build', 'gen-client-methods.mjs'), '--check'], { stdio: 'pipe' })).not.toThrow();
  });
});
