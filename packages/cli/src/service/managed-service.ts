/**
 * Is the daemon owned by an installed service? Then `oj daemon start/stop/
 * restart` must not act behind the service manager's back (systemd would see
 * a clean exit and not restart; launchd's KeepAlive would restart at once),
 * and the user should run the service manager's command instead.
 */
import { readFileSync } from 'node:fs';
import { LAUNCHD_LABEL } from './launchd-plist.js';
import { serviceContext, type ServiceContext } from './service-context.js';
import { serviceCommand, serviceTarget, type ServiceAction, type ServiceTarget } from './service-target.js';

/**
 * absent: no unit/plist; other-socket: installed, but for another socket than
 * the current environment's; active: systemd unit active / launchd agent
 * loaded; inactive: installed, not running; unknown: the manager did not answer.
 */
export type ServiceState = 'absent' | 'other-socket' | 'active' | 'inactive' | 'unknown';

const SYSTEMD_RUNNING = new Set(['active', 'activating', 'reloading']);
const SYSTEMD_STOPPED = new Set(['inactive', 'failed', 'deactivating']);

export function serviceState(target: ServiceTarget, ctx: ServiceContext): ServiceState {
  let content: string;
  try {
    content = readFileSync(target.file, 'utf8');
  } catch {
    return 'absent';
  }
  if (!content.includes(target.socketMarker)) return 'other-socket';
  if (target.kind === 'systemd') {
    const r = ctx.run('systemctl', ['--user', 'is-active', 'ojd']);
    const word = r.stdout.trim();
    if (SYSTEMD_RUNNING.has(word)) return 'active';
    return SYSTEMD_STOPPED.has(word) ? 'inactive' : 'unknown';
  }
  const r = ctx.run('launchctl', ['print', `gui/${ctx.uid}/${LAUNCHD_LABEL}`]);
  if (r.status === null) return 'unknown';
  return r.status === 0 ? 'active' : 'inactive';
}

/**
 * The one command to run instead of `oj daemon <action>` when a managed
 * service (systemd user unit active, or launchd agent loaded, serving the
 * current socket) owns the daemon; null otherwise. Never throws.
 */
export function managedServiceHint(action: ServiceAction = 'stop', overrides: Partial<ServiceContext> = {}): string | null {
  try {
    const ctx = serviceContext(overrides);
    if (ctx.platform !== 'linux' && ctx.platform !== 'darwin') return null;
    const target = serviceTarget(ctx);
    return serviceState(target, ctx) === 'active' ? serviceCommand(target.kind, action) : null;
  } catch {
    return null;
  }
}
