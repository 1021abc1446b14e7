/**
 * Which service manager this platform has, where its file goes, the commands
 * that drive it, and the file's content. Linux: a systemd user unit; macOS:
 * a launchd LaunchAgent. Paths come from ctx.env only (HOME, XDG_CONFIG_HOME,
 * OJ_STATE_DIR, OJ_SOCKET, XDG_STATE_HOME, XDG_RUNTIME_DIR).
 */
import { homedir } from 'node:os';
import { isAbsolute, join } from 'node:path';
import { ErrorCode, OjError, resolveSocketPath, resolveStateDir, type Env } from '@oj/protocol/client';
import { LAUNCHD_LABEL, plistEnvironmentEntry, renderLaunchdPlist } from './launchd-plist.js';
import type { ServiceContext } from './service-context.js';
import { shellQuote } from './shell-quote.js';
import { SYSTEMD_UNIT_NAME, renderSystemdUnit, systemdEnvironmentLine } from './systemd-unit.js';

export type ServiceKind = 'systemd' | 'launchd';
export type ServiceAction = 'start' | 'stop' | 'restart';

export interface ServiceTarget {
  kind: ServiceKind;
  /** Where the unit/plist goes. */
  file: string;
  stateDir: string;
  socketPath: string;
  /** Loads and starts a freshly installed service. */
  enableCommand: string;
  /** Picks up a changed file while the service runs. */
  reloadCommand: string;
  /** A line the file holds when it serves this target's socket. */
  socketMarker: string;
}

const LAUNCHD_DOMAIN = 'gui/$(id -u)';

export function serviceTarget(ctx: ServiceContext): ServiceTarget {
  const stateDir = resolveStateDir(ctx.env);
  const socketPath = resolveSocketPath(ctx.env);
  if (ctx.platform === 'linux') {
    return {
      kind: 'systemd',
      file: join(systemdUserDir(ctx.env), SYSTEMD_UNIT_NAME),
      stateDir,
      socketPath,
      enableCommand: 'systemctl --user daemon-reload && systemctl --user enable --now ojd',
      reloadCommand: 'systemctl --user daemon-reload && systemctl --user restart ojd',
      socketMarker: systemdEnvironmentLine('OJ_SOCKET', socketPath),
    };
  }
  if (ctx.platform === 'darwin') {
    const file = join(home(ctx.env), 'Library', 'LaunchAgents', `${LAUNCHD_LABEL}.plist`);
    const bootstrap = `launchctl bootstrap ${LAUNCHD_DOMAIN} ${shellQuote(file)}`;
    return {
      kind: 'launchd',
      file,
      stateDir,
      socketPath,
      enableCommand: bootstrap,
      reloadCommand: `launchctl bootout ${LAUNCHD_DOMAIN}/${LAUNCHD_LABEL} && ${bootstrap}`,
      socketMarker: plistEnvironmentEntry('OJ_SOCKET', socketPath),
    };
  }
  throw new OjError(ErrorCode.Unavailable, `oj daemon install supports Linux (systemd) and macOS (launchd), not ${ctx.platform}`, {
    kind: 'unsupported_platform',
    hint: 'run `ojd --foreground` under your own supervisor',
  });
}

/** The command that does `action` to the service-managed daemon. */
export function serviceCommand(kind: ServiceKind, action: ServiceAction): string {
  if (kind === 'systemd') return `systemctl --user ${action} ojd`;
  const job = `${LAUNCHD_DOMAIN}/${LAUNCHD_LABEL}`;
  if (action === 'stop') return `launchctl bootout ${job}`;
  return action === 'restart' ? `launchctl kickstart -k ${job}` : `launchctl kickstart ${job}`;
}

/** The unit/plist text for this target. */
export function renderServiceFile(target: ServiceTarget, ctx: ServiceContext): string {
  const pathEnv = ctx.env.PATH && ctx.env.PATH.length > 0 ? ctx.env.PATH : undefined;
  const opts = { nodePath: ctx.nodePath, ojdPath: ctx.ojdPath(), stateDir: target.stateDir, socketPath: target.socketPath, pathEnv };
  return target.kind === 'systemd' ? renderSystemdUnit(opts) : renderLaunchdPlist(opts);
}

/** $XDG_CONFIG_HOME/systemd/user, else ~/.config/systemd/user (where `systemctl --user` looks). */
export function systemdUserDir(env: Env): string {
  const config = env.XDG_CONFIG_HOME && isAbsolute(env.XDG_CONFIG_HOME) ? env.XDG_CONFIG_HOME : join(home(env), '.config');
  return join(config, 'systemd', 'user');
}

function home(env: Env): string {
  return env.HOME && env.HOME.length > 0 ? env.HOME : homedir();
}
