/**
 * `oj daemon install` and `oj daemon uninstall`: the file-writing shell around
 * the pure renderers. Install writes the file and prints the one command that
 * enables it (it does not run it); uninstall runs the disable/bootout itself,
 * when the manager answers, before removing the file.
 */
import { lstatSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { ErrorCode, OjError } from '@oj/protocol/client';
import { daemonLocation, tryConnect } from '../client/daemon-launcher.js';
import { LAUNCHD_LABEL } from './launchd-plist.js';
import { serviceState } from './managed-service.js';
import { serviceContext, type ServiceContext } from './service-context.js';
import { renderServiceFile, serviceCommand, serviceTarget, type ServiceTarget } from './service-target.js';
import { SYSTEMD_UNIT_NAME } from './systemd-unit.js';

export interface InstallOptions {
  /** Only print the file and where it would go. */
  print: boolean;
  /** Replace an existing file that differs. */
  force: boolean;
}

export async function installService(opts: InstallOptions, ctx: ServiceContext = serviceContext()): Promise<number> {
  const target = serviceTarget(ctx);
  const content = renderServiceFile(target, ctx);
  if (opts.print) {
    // The file itself on stdout (so `--print > file` works), the rest on stderr.
    ctx.warn(`# ${target.file} (not written: this is what oj daemon install would write)`);
    ctx.print(content.replace(/\n$/, ''));
    ctx.warn(`# then enable it with: ${target.enableCommand}`);
    return 0;
  }
  const existing = readIfExists(target.file);
  if (existing !== null && existing !== content && !opts.force) {
    throw new OjError(ErrorCode.AlreadyExists, `${target.file} exists and differs from what oj would write`, {
      kind: 'already_exists',
      hint: 'compare with `oj daemon install --print`; `oj daemon install --force` replaces it',
    });
  }
  // launchd opens StandardOutPath itself: the state dir must exist.
  mkdirSync(target.stateDir, { recursive: true, mode: 0o700 });
  const changed = existing !== content;
  if (changed) {
    writeAtomically(target.file, content);
    ctx.print(`wrote ${target.file}`);
  } else {
    ctx.print(`${target.file} is already up to date`);
  }
  if (serviceState(target, ctx) === 'active') {
    ctx.print(changed ? `ojd runs under ${target.kind}; apply the change with: ${target.reloadCommand}` : `ojd already runs under ${target.kind}`);
    return 0;
  }
  // A daemon started by `oj` holds the pid lock: the service could not start beside it.
  const running = await tryConnect(daemonLocation(ctx.env));
  running?.close();
  ctx.print(`enable and start it with: ${running ? 'oj daemon stop && ' : ''}${target.enableCommand}`);
  return 0;
}

export async function uninstallService(ctx: ServiceContext = serviceContext()): Promise<number> {
  const target = serviceTarget(ctx);
  if (readIfExists(target.file) === null) {
    ctx.print(`nothing to uninstall: ${target.file} does not exist`);
    return 0;
  }
  const stopped = target.kind === 'systemd' ? disableSystemd(target, ctx) : bootoutLaunchd(ctx);
  unlinkSync(target.file);
  ctx.print(`removed ${target.file}`);
  if (target.kind === 'systemd' && stopped) ctx.run('systemctl', ['--user', 'daemon-reload']);
  if (stopped) {
    ctx.print('the service is stopped and disabled (agent sessions keep running); `oj daemon start` starts ojd without it');
  } else {
    ctx.warn(`if ojd still runs under ${target.kind}, stop it with: ${serviceCommand(target.kind, 'stop')}`);
  }
  return 0;
}

/** `systemctl --user disable --now ojd`, then the wants/ link it may leave behind. True when systemctl did it. */
function disableSystemd(target: ServiceTarget, ctx: ServiceContext): boolean {
  const r = ctx.run('systemctl', ['--user', 'disable', '--now', 'ojd']);
  const ok = r.status === 0;
  if (r.missing) ctx.warn('systemctl not found: removing the unit file only');
  else if (!ok) ctx.warn(`systemctl --user disable --now ojd failed: ${firstLine(r.stderr) || `exit ${r.status ?? 'timeout'}`}`);
  const wants = join(dirname(target.file), 'default.target.wants', SYSTEMD_UNIT_NAME);
  if (isSymlink(wants)) unlinkSync(wants);
  return ok;
}

/** `launchctl bootout gui/<uid>/dev.oj.ojd`; an agent that is not loaded counts as stopped. */
function bootoutLaunchd(ctx: ServiceContext): boolean {
  const r = ctx.run('launchctl', ['bootout', `gui/${ctx.uid}/${LAUNCHD_LABEL}`]);
  if (r.status === 0 || /no such process|could not find/i.test(r.stderr)) return true;
  ctx.warn(`launchctl bootout failed: ${firstLine(r.stderr) || `exit ${r.status ?? 'timeout'}`}`);
  return false;
}

function writeAtomically(file: string, content: string): void {
  mkdirSync(dirname(file), { recursive: true });
  const tmp = `${file}.${process.pid}.tmp`;
  writeFileSync(tmp, content, { mode: 0o644 });
  renameSync(tmp, file);
}

function readIfExists(file: string): string | null {
  try {
    return readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw err;
  }
}

function isSymlink(path: string): boolean {
  try {
    return lstatSync(path).isSymbolicLink();
  } catch {
    return false;
  }
}

function firstLine(text: string): string {
  return text.trim().split('\n')[0] ?? '';
}
