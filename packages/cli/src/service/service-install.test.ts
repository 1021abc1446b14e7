import { existsSync, lstatSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CommandResult, ServiceContext } from './service-context.js';
import { installService, uninstallService } from './service-install.js';

let home: string;
let out: string[];
let err: string[];
let calls: string[];

const ok = (stdout = ''): CommandResult => ({ status: 0, stdout, stderr: '', missing: false });

function ctx(overrides: Partial<ServiceContext> = {}): ServiceContext {
  return {
    env: { HOME: home, OJ_STATE_DIR: join(home, 'state dir'), PATH: '/usr/bin:/bin' },
    platform: 'linux',
    uid: 501,
    nodePath: '/usr/bin/node',
    ojdPath: () => '/opt/oj/bin/ojd.js',
    run: (cmd, args) => {
      calls.push([cmd, ...args].join(' '));
      return args.includes('is-active') ? { status: 3, stdout: 'inactive\n', stderr: '', missing: false } : ok();
    },
    print: (l) => out.push(l),
    warn: (l) => err.push(l),
    ...overrides,
  };
}

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'oj-home-'));
  out = [];
  err = [];
  calls = [];
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

const unitFile = () => join(home, '.config', 'systemd', 'user', 'ojd.service');

describe('oj daemon install (systemd)', () => {
  it('--print writes nothing and says where the unit would go', async () => {
    expect(await installService({ print: true, force: false }, ctx())).toBe(0);
    expect(existsSync(join(home, '.config'))).toBe(false);
    expect(out.join('\n')).toMatch(/^# Written by[\s\S]*\[Install\]\nWantedBy=default.target$/);
    expect(err.join('\n')).toContain(unitFile());
    expect(err.join('\n')).toContain('systemctl --user daemon-reload && systemctl --user enable --now ojd');
  });

  it('writes the unit under ~/.config and prints the enable command', async () => {
    expect(await installService({ print: false, force: false }, ctx())).toBe(0);
    const unit = readFileSync(unitFile(), 'utf8');
    expect(unit).toContain(`Environment="OJ_STATE_DIR=${home}/state dir"`);
    expect(unit).toContain(`Environment="OJ_SOCKET=${home}/state dir/ojd.sock"`);
    expect(statSync(unitFile()).mode & 0o777).toBe(0o644);
    expect(statSync(join(home, 'state dir')).mode & 0o777).toBe(0o700);
    expect(out).toEqual([`wrote ${unitFile()}`, 'enable and start it with: systemctl --user daemon-reload && systemctl --user enable --now ojd']);
  });

  it('respects XDG_CONFIG_HOME', async () => {
    const config = join(home, 'cfg');
    await installService({ print: false, force: false }, ctx({ env: { HOME: home, XDG_CONFIG_HOME: config, OJ_STATE_DIR: join(home, 's') } }));
    expect(existsSync(join(config, 'systemd', 'user', 'ojd.service'))).toBe(true);
  });

  it('is idempotent, refuses to replace a different unit, and replaces it with --force', async () => {
    await installService({ print: false, force: false }, ctx());
    out = [];
    await installService({ print: false, force: false }, ctx());
    expect(out[0]).toBe(`${unitFile()} is already up to date`);
    writeFileSync(unitFile(), '[Service]\nExecStart=/bin/true\n');
    await expect(installService({ print: false, force: false }, ctx())).rejects.toThrow(/differs/);
    expect(readFileSync(unitFile(), 'utf8')).toBe('[Service]\nExecStart=/bin/true\n');
    await installService({ print: false, force: true }, ctx());
    expect(readFileSync(unitFile(), 'utf8')).toContain('KillMode=process');
  });

  it('tells how to apply a change when the service already runs', async () => {
    const active = ctx({ run: () => ok('active\n') });
    await installService({ print: false, force: false }, active);
    await installService({ print: false, force: true }, ctx({ ...active, nodePath: '/usr/local/bin/node' }));
    expect(out.at(-1)).toBe('ojd runs under systemd; apply the change with: systemctl --user daemon-reload && systemctl --user restart ojd');
  });
});

describe('oj daemon install (launchd)', () => {
  it('writes the LaunchAgent and prints the bootstrap command', async () => {
    await installService({ print: false, force: false }, ctx({ platform: 'darwin', run: () => ({ status: 113, stdout: '', stderr: 'not found', missing: false }) }));
    const file = join(home, 'Library', 'LaunchAgents', 'dev.oj.ojd.plist');
    expect(readFileSync(file, 'utf8')).toContain('<string>dev.oj.ojd</string>');
    expect(out.at(-1)).toBe(`enable and start it with: launchctl bootstrap gui/$(id -u) ${file}`);
  });

  it('refuses other platforms', async () => {
    await expect(installService({ print: true, force: false }, ctx({ platform: 'win32' }))).rejects.toThrow(/Linux \(systemd\) and macOS/);
  });
});

describe('oj daemon uninstall', () => {
  it('disables, removes the unit and its wants/ link, and reloads', async () => {
    await installService({ print: false, force: false }, ctx());
    const wants = join(home, '.config', 'systemd', 'user', 'default.target.wants');
    mkdirSync(wants);
    symlinkSync(unitFile(), join(wants, 'ojd.service'));
    calls = [];
    expect(await uninstallService(ctx())).toBe(0);
    expect(calls).toEqual(['systemctl --user disable --now ojd', 'systemctl --user daemon-reload']);
    expect(existsSync(unitFile())).toBe(false);
    expect(() => lstatSync(join(wants, 'ojd.service'))).toThrow();
    expect(err).toEqual([]);
  });

  it('without systemctl removes the files and says how to stop a running service', async () => {
    await installService({ print: false, force: false }, ctx());
    const missing = ctx({ run: () => ({ status: null, stdout: '', stderr: 'spawnSync systemctl ENOENT', missing: true }) });
    await uninstallService(missing);
    expect(existsSync(unitFile())).toBe(false);
    expect(err).toEqual(['systemctl not found: removing the unit file only', 'if ojd still runs under systemd, stop it with: systemctl --user stop ojd']);
  });

  it('boots out the launchd agent, an unloaded one included', async () => {
    const darwin = ctx({ platform: 'darwin', run: (c, a) => (calls.push([c, ...a].join(' ')), { status: 3, stdout: '', stderr: 'Boot-out failed: 3: No such process', missing: false }) });
    await installService({ print: false, force: false }, darwin);
    calls = [];
    await uninstallService(darwin);
    expect(calls).toEqual(['launchctl bootout gui/501/dev.oj.ojd']);
    expect(existsSync(join(home, 'Library', 'LaunchAgents', 'dev.oj.ojd.plist'))).toBe(false);
    expect(err).toEqual([]);
  });

  it('has nothing to do when nothing is installed', async () => {
    expect(await uninstallService(ctx())).toBe(0);
    expect(out).toEqual([`nothing to uninstall: ${unitFile()} does not exist`]);
    expect(calls).toEqual([]);
  });
});
