import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { managedServiceHint } from './managed-service.js';
import { serviceContext, type CommandResult, type ServiceContext } from './service-context.js';
import { installService } from './service-install.js';

let home: string;
let calls: string[];

function answering(stdout: string, status = 0): ServiceContext['run'] {
  return (cmd, args): CommandResult => {
    calls.push([cmd, ...args].join(' '));
    return { status, stdout, stderr: '', missing: false };
  };
}

function ctx(overrides: Partial<ServiceContext> = {}): Partial<ServiceContext> {
  return {
    env: { HOME: home, OJ_STATE_DIR: join(home, 'state') },
    platform: 'linux',
    uid: 501,
    nodePath: '/usr/bin/node',
    ojdPath: () => '/opt/oj/bin/ojd.js',
    run: answering('active\n'),
    print: () => {},
    warn: () => {},
    ...overrides,
  };
}

async function install(overrides: Partial<ServiceContext> = {}): Promise<void> {
  await installService({ print: false, force: false }, serviceContext(ctx({ run: answering('inactive\n', 3), ...overrides })));
  calls = [];
}

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'oj-home-'));
  calls = [];
});
afterEach(() => rmSync(home, { recursive: true, force: true }));

describe('managedServiceHint', () => {
  it('is null, without asking systemctl, when no unit is installed', () => {
    expect(managedServiceHint('stop', ctx())).toBeNull();
    expect(calls).toEqual([]);
  });

  it('names the systemctl command when the unit is active', async () => {
    await install();
    expect(managedServiceHint('stop', ctx())).toBe('systemctl --user stop ojd');
    expect(managedServiceHint('restart', ctx())).toBe('systemctl --user restart ojd');
    expect(calls[0]).toBe('systemctl --user is-active ojd');
  });

  it('is null when the unit is inactive, or systemctl does not answer', async () => {
    await install();
    expect(managedServiceHint('stop', ctx({ run: answering('inactive\n', 3) }))).toBeNull();
    expect(managedServiceHint('stop', ctx({ run: () => ({ status: null, stdout: '', stderr: 'ENOENT', missing: true }) }))).toBeNull();
  });

  it('is null when the unit serves another socket (e.g. a test daemon with its own OJ_STATE_DIR)', async () => {
    await install();
    expect(managedServiceHint('stop', ctx({ env: { HOME: home, OJ_STATE_DIR: join(home, 'other') } }))).toBeNull();
    expect(calls).toEqual([]);
  });

  it('names the launchctl command when the agent is loaded', async () => {
    await install({ platform: 'darwin', run: answering('', 113) });
    const darwin = ctx({ platform: 'darwin', run: answering('state = running') });
    expect(managedServiceHint('stop', darwin)).toBe('launchctl bootout gui/$(id -u)/dev.oj.ojd');
    expect(managedServiceHint('restart', darwin)).toBe('launchctl kickstart -k gui/$(id -u)/dev.oj.ojd');
    expect(calls[0]).toBe('launchctl print gui/501/dev.oj.ojd');
    expect(managedServiceHint('stop', ctx({ platform: 'darwin', run: answering('', 113) }))).toBeNull();
  });

  it('is null on other platforms and never throws', () => {
    expect(managedServiceHint('stop', ctx({ platform: 'win32' }))).toBeNull();
    expect(managedServiceHint('stop', ctx({ env: { HOME: join(home, '\u0000bad') } }))).toBeNull();
  });

  it('recognises a unit by the exact OJ_SOCKET line install writes', () => {
    const dir = join(home, '.config', 'systemd', 'user');
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'ojd.service'), `[Service]\nEnvironment="OJ_SOCKET=${home}/state/ojd.sock"\n`);
    expect(managedServiceHint('stop', ctx())).toBe('systemctl --user stop ojd');
  });
});
