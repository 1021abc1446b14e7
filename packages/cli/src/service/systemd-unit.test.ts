import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ojdBinPath } from '../client/daemon-launcher.js';
import { ServiceRenderError } from './render-error.js';
import { renderSystemdUnit, systemdEnvironmentLine, type SystemdUnitOptions } from './systemd-unit.js';

const plain: SystemdUnitOptions = {
  nodePath: '/usr/bin/node',
  ojdPath: '/opt/oj/packages/daemon/bin/ojd.js',
  stateDir: '/home/u/.local/state/oj',
  socketPath: '/run/user/1000/oj/ojd.sock',
  pathEnv: '/usr/local/bin:/usr/bin:/bin',
};

const HOSTILE = `/tmp/we ird %h 100% "dq" 'sq' $HOME \${X} back\\slash &<> tab\tnl\nend`;

/** Reads a value back the way systemd does: %% -> %, then words with double quotes and C escapes, then $$ -> $ (args only). */
function systemdWords(rvalue: string): string[] {
  const s = rvalue.replace(/%%/g, '%');
  const words: string[] = [];
  let i = 0;
  while (i < s.length) {
    while (s[i] === ' ') i++;
    if (i >= s.length) break;
    let word = '';
    let quoted = false;
    for (; i < s.length; i++) {
      const ch = s[i];
      if (ch === '"') quoted = !quoted;
      else if (ch === ' ' && !quoted) break;
      else if (ch === '\\') {
        const next = s[++i];
        word += next === 'n' ? '\n' : next === 't' ? '\t' : (next ?? '');
      } else word += ch;
    }
    words.push(word);
  }
  return words;
}

function line(unit: string, key: string): string[] {
  return unit
    .split('\n')
    .filter((l) => l.startsWith(`${key}=`))
    .map((l) => l.slice(key.length + 1));
}

describe('renderSystemdUnit', () => {
  it('writes the unit the design asks for', () => {
    const unit = renderSystemdUnit(plain);
    expect(unit).toContain('[Unit]\nDescription=');
    expect(unit).toContain('[Service]\nType=simple\n');
    expect(line(unit, 'ExecStart')).toEqual(['"/usr/bin/node" "/opt/oj/packages/daemon/bin/ojd.js" --foreground']);
    expect(line(unit, 'Environment')).toEqual([
      '"OJ_STATE_DIR=/home/u/.local/state/oj"',
      '"OJ_SOCKET=/run/user/1000/oj/ojd.sock"',
      '"PATH=/usr/local/bin:/usr/bin:/bin"',
    ]);
    expect(unit).toContain('\nRestart=on-failure\n');
    expect(unit).toContain('\nKillMode=process\n');
    expect(unit).toContain('[Install]\nWantedBy=default.target\n');
  });

  it('leaves PATH out when it is not given', () => {
    expect(renderSystemdUnit({ ...plain, pathEnv: undefined })).not.toContain('PATH=');
  });

  it('escapes hostile paths so systemd reads them back unchanged', () => {
    const unit = renderSystemdUnit({ ...plain, nodePath: '/opt/my node %x $V &<>/node', ojdPath: HOSTILE, stateDir: HOSTILE, socketPath: `${HOSTILE}.sock` });
    const exec = line(unit, 'ExecStart')[0] ?? '';
    expect(exec).toContain('%%h 100%%');
    expect(exec).toContain('\\"dq\\"');
    expect(exec).toContain('$$HOME $${X}');
    expect(exec).not.toContain('\n');
    const [bin, ...args] = systemdWords(exec);
    // The executable is not variable-expanded; arguments are, so their $$ is read back as $.
    expect(bin).toBe('/opt/my node %x $V &<>/node');
    expect(args.map((a) => a.replace(/\$\$/g, '$'))).toEqual([HOSTILE, '--foreground']);
    const env = line(unit, 'Environment').map((v) => systemdWords(v));
    expect(env).toEqual([[`OJ_STATE_DIR=${HOSTILE}`], [`OJ_SOCKET=${HOSTILE}.sock`], [`PATH=${plain.pathEnv}`]]);
    expect(line(unit, 'Environment')[0]).toContain('$HOME'); // no $$ outside ExecStart
    expect(unit).toContain(systemdEnvironmentLine('OJ_SOCKET', `${HOSTILE}.sock`));
  });

  it('refuses what systemd cannot express', () => {
    expect(() => renderSystemdUnit({ ...plain, stateDir: '/tmp/a\u0001b' })).toThrow(ServiceRenderError);
    expect(() => renderSystemdUnit({ ...plain, nodePath: '/opt/"q"/node' })).toThrow(/quotes/);
    expect(() => renderSystemdUnit({ ...plain, nodePath: 'node' })).toThrow(/absolute/);
  });
});

describe('systemd-analyze verify', () => {
  const which = spawnSync('which', ['systemd-analyze'], { encoding: 'utf8' });
  const analyze = which.status === 0 ? which.stdout.trim() : null;
  const dirs: string[] = [];
  afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

  function verify(unit: string): { status: number | null; output: string } {
    const dir = mkdtempSync(join(tmpdir(), 'oj-unit-'));
    dirs.push(dir);
    const file = join(dir, 'ojd.service');
    writeFileSync(file, unit);
    const runtime = join(dir, 'runtime');
    mkdirSync(runtime, { mode: 0o700 });
    const r = spawnSync(analyze ?? 'systemd-analyze', ['--user', 'verify', file], {
      encoding: 'utf8',
      env: { ...process.env, XDG_RUNTIME_DIR: runtime, SYSTEMD_LOG_LEVEL: 'notice' },
    });
    return { status: r.status, output: `${r.stdout}${r.stderr}`.trim() };
  }

  it.skipIf(!analyze)(`accepts the unit for this checkout${analyze ? '' : ' (skipped: systemd-analyze not installed)'}`, () => {
    const unit = renderSystemdUnit({ nodePath: process.execPath, ojdPath: ojdBinPath(), stateDir: '/tmp/oj state', socketPath: '/tmp/oj state/ojd.sock', pathEnv: process.env.PATH });
    expect(verify(unit)).toEqual({ status: 0, output: '' });
  });

  it.skipIf(!analyze)(`finds an executable whose path has spaces, %, $ and &<>${analyze ? '' : ' (skipped: systemd-analyze not installed)'}`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'oj unit %h $HOME &<> '));
    dirs.push(dir);
    const node = join(dir, 'node');
    symlinkSync(process.execPath, node);
    const unit = renderSystemdUnit({ nodePath: node, ojdPath: HOSTILE, stateDir: HOSTILE, socketPath: HOSTILE });
    expect(verify(unit)).toEqual({ status: 0, output: '' });
    // and the check is real: a missing executable fails
    const missing = verify(renderSystemdUnit({ ...plain, nodePath: join(dir, 'nope') }));
    expect(missing.status).not.toBe(0);
    expect(missing.output).toMatch(/not executable/);
  });
});
