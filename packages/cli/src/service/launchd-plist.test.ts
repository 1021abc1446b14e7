import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LAUNCHD_LABEL, plistEnvironmentEntry, renderLaunchdPlist, xmlEscape, type LaunchdPlistOptions } from './launchd-plist.js';
import { ServiceRenderError } from './render-error.js';

const plain: LaunchdPlistOptions = {
  nodePath: '/usr/local/bin/node',
  ojdPath: '/opt/oj/packages/daemon/bin/ojd.js',
  stateDir: '/Users/u/.local/state/oj',
  socketPath: '/Users/u/.local/state/oj/ojd.sock',
  pathEnv: '/usr/local/bin:/usr/bin:/bin',
};

const HOSTILE = `/tmp/we ird 100% "dq" 'sq' $HOME &amp; & <tag> ]]> tab\tend`;

/** A small well-formedness check: every tag closes in order, entities are known, no stray < or &. */
function checkWellFormed(xml: string): void {
  const body = xml.replace(/^<\?xml[^?]*\?>\s*/, '').replace(/^<!DOCTYPE[^>]*>\s*/, '').replace(/<!--[\s\S]*?-->/g, '');
  const stack: string[] = [];
  const tag = /<(\/?)([A-Za-z][\w.-]*)((?:\s+[\w.-]+="[^"<&]*")*)\s*(\/?)>/y;
  let i = 0;
  while (i < body.length) {
    const ch = body[i];
    if (ch === '<') {
      tag.lastIndex = i;
      const m = tag.exec(body);
      if (!m) throw new Error(`bad markup at ${i}: ${body.slice(i, i + 30)}`);
      const [all, close, name = '', , selfClose] = m;
      if (close) {
        const open = stack.pop();
        if (open !== name) throw new Error(`</${name}> closes <${open ?? 'nothing'}>`);
      } else if (!selfClose) stack.push(name);
      i += all.length;
    } else if (ch === '&') {
      const m = /^&(amp|lt|gt|quot|apos|#\d+);/.exec(body.slice(i));
      if (!m) throw new Error(`bad entity at ${i}: ${body.slice(i, i + 10)}`);
      i += m[0].length;
    } else {
      if (ch === '>' && body.slice(i - 2, i) === ']]') throw new Error(']]> in text');
      if (stack.length === 0 && ch !== undefined && !/\s/.test(ch)) throw new Error(`text outside the root at ${i}`);
      i++;
    }
  }
  if (stack.length > 0) throw new Error(`unclosed <${stack.join('>, <')}>`);
}

describe('renderLaunchdPlist', () => {
  it('writes the agent the design asks for, well-formed', () => {
    const plist = renderLaunchdPlist(plain);
    checkWellFormed(plist);
    expect(plist).toContain(`<key>Label</key>\n  <string>${LAUNCHD_LABEL}</string>`);
    expect(plist).toContain(
      '<key>ProgramArguments</key>\n  <array>\n    <string>/usr/local/bin/node</string>\n    <string>/opt/oj/packages/daemon/bin/ojd.js</string>\n    <string>--foreground</string>',
    );
    expect(plist).toContain(plistEnvironmentEntry('OJ_STATE_DIR', plain.stateDir));
    expect(plist).toContain(plistEnvironmentEntry('OJ_SOCKET', plain.socketPath));
    expect(plist).toContain(plistEnvironmentEntry('PATH', plain.pathEnv ?? ''));
    expect(plist).toContain('<key>KeepAlive</key>\n  <true/>');
    expect(plist).toContain('<key>RunAtLoad</key>\n  <true/>');
    expect(plist).toContain('<key>StandardOutPath</key>\n  <string>/Users/u/.local/state/oj/ojd.out</string>');
    expect(plist).toContain('<key>StandardErrorPath</key>\n  <string>/Users/u/.local/state/oj/ojd.out</string>');
  });

  it('escapes hostile paths and stays well-formed', () => {
    const plist = renderLaunchdPlist({ ...plain, nodePath: HOSTILE, ojdPath: HOSTILE, stateDir: HOSTILE, socketPath: HOSTILE });
    checkWellFormed(plist);
    expect(plist).toContain('&amp;amp; &amp; &lt;tag&gt; ]]&gt;');
    expect(plist).toContain('&quot;dq&quot; &apos;sq&apos;');
    expect(plist).not.toMatch(/<tag>/);
  });

  it('the checker itself rejects broken XML', () => {
    expect(() => checkWellFormed('<plist><dict></plist>')).toThrow();
    expect(() => checkWellFormed('<plist><string>a & b</string></plist>')).toThrow();
    expect(() => checkWellFormed('<plist><string>a < b</string></plist>')).toThrow();
  });

  it('refuses characters XML cannot carry', () => {
    expect(() => xmlEscape('a\u0001b')).toThrow(ServiceRenderError);
    expect(xmlEscape('a\rb')).toBe('a&#13;b');
  });
});

describe('external plist parsers', () => {
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));
  function write(content: string): string {
    const dir = mkdtempSync(join(tmpdir(), 'oj-plist-'));
    dirs.push(dir);
    const file = join(dir, `${LAUNCHD_LABEL}.plist`);
    writeFileSync(file, content);
    return file;
  }
  const has = (cmd: string) => spawnSync('which', [cmd]).status === 0;
  const plutil = has('plutil');
  const python = has('python3');
  const hostile = { ...plain, ojdPath: HOSTILE, stateDir: `${HOSTILE}\nline2`, socketPath: `${HOSTILE}\r.sock` };

  it.skipIf(!plutil)(`plutil -lint accepts it${plutil ? '' : ' (skipped: plutil not installed, it ships with macOS)'}`, () => {
    const r = spawnSync('plutil', ['-lint', write(renderLaunchdPlist(hostile))], { encoding: 'utf8' });
    expect(r.stdout + r.stderr).toMatch(/OK/);
    expect(r.status).toBe(0);
  });

  it.skipIf(!python)(`python plistlib reads every value back unchanged${python ? '' : ' (skipped: python3 not installed)'}`, () => {
    const script = 'import json, plistlib, sys\nprint(json.dumps(plistlib.load(open(sys.argv[1], "rb"))))';
    const r = spawnSync('python3', ['-c', script, write(renderLaunchdPlist(hostile))], { encoding: 'utf8' });
    expect(r.stderr).toBe('');
    expect(JSON.parse(r.stdout)).toEqual({
      Label: LAUNCHD_LABEL,
      ProgramArguments: [plain.nodePath, HOSTILE, '--foreground', '--quiet'],
      EnvironmentVariables: { OJ_STATE_DIR: hostile.stateDir, OJ_SOCKET: hostile.socketPath, PATH: plain.pathEnv },
      KeepAlive: true,
      RunAtLoad: true,
      AbandonProcessGroup: true,
      StandardOutPath: `${hostile.stateDir}/ojd.out`,
      StandardErrorPath: `${hostile.stateDir}/ojd.out`,
    });
  });
});
