import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { closeLogger, createLogger } from './logger.js';
import { containsSecret, redactValue, registerSecretEnv, scrubText } from './redact.js';

describe('secret redaction', () => {
  registerSecretEnv({ GITHUB_TOKEN: 'ghp_abcdefghij123', DEPLOY_PASSWORD: 'hunter2-hunter2', HOME: '/home/someone', API_KEY: 'short' });

  it('scrubs the values of secret-named variables wherever they appear', () => {
    expect(scrubText('git push https://x:ghp_abcdefghij123@github.com')).toBe('git push https://x:[redacted $GITHUB_TOKEN]@github.com');
    expect(scrubText('/home/someone is not secret')).toBe('/home/someone is not secret');
    // Too short to be told apart from ordinary words: not remembered.
    expect(scrubText('a short word')).toBe('a short word');
  });

  it('tells whether a text holds a secret value, the same way scrubText finds them', () => {
    expect(containsSecret('tok=ghp_abcdefghij123')).toBe(true);
    expect(containsSecret('ghp_abcdefghij12')).toBe(false);
    expect(containsSecret('a short word')).toBe(false);
    // Asked twice in a row (a global RegExp keeps state between tests): the same answer.
    expect(containsSecret('x hunter2-hunter2')).toBe(true);
    expect(containsSecret('x hunter2-hunter2')).toBe(true);
  });

  it('redacts fields named like a secret when asked, deeply, without touching the input', () => {
    const input = { env: { DEPLOY_PASSWORD: 'anything', PATH: '/bin' }, nested: [{ msg: 'pw hunter2-hunter2' }], api_key: 12 };
    const out = redactValue(input, { keys: true });
    expect(out).toEqual({ env: { DEPLOY_PASSWORD: '[redacted]', PATH: '/bin' }, nested: [{ msg: 'pw [redacted $DEPLOY_PASSWORD]' }], api_key: '[redacted]' });
    expect(input.env.DEPLOY_PASSWORD).toBe('anything');
    const clean = { a: 1, b: ['x'] };
    expect(redactValue(clean, { keys: true })).toBe(clean);
  });

  it('keeps secrets out of the log file', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'oj-redact-'));
    try {
      const file = join(dir, 'ojd.log');
      const logger = createLogger(file, { stderr: false, level: 'debug' });
      logger.info('pushing with ghp_abcdefghij123', { env: { GITHUB_TOKEN: 'ghp_abcdefghij123', OTHER: 'fine' }, token: 'xyz-anything' });
      await closeLogger(logger);
      const text = readFileSync(file, 'utf8');
      expect(text).not.toContain('ghp_abcdefghij123');
      expect(text).not.toContain('xyz-anything');
      expect(JSON.parse(text.trim())).toMatchObject({
        message: 'pushing with [redacted $GITHUB_TOKEN]',
        env: { GITHUB_TOKEN: '[redacted]', OTHER: 'fine' },
        token: '[redacted]',
        level: 'info',
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
