/** Every method and notification, for the server's registration check and the generated docs. */
import type { AnyMethod, Notification } from './rpc.js';
import * as Daemon from './methods/daemon.js';
import * as Events from './methods/events.js';
import * as Pipelines from './methods/pipelines.js';
import * as Commands from './methods/commands.js';
import * as Queues from './methods/queues.js';
import * as Workers from './methods/workers.js';
import * as Crons from './methods/crons.js';
import * as Locks from './methods/locks.js';
import * as Semaphores from './methods/semaphores.js';
import * as Sessions from './methods/sessions.js';
import * as Status from './methods/status.js';
import * as Workspaces from './methods/workspaces.js';
import * as Escalations from './methods/escalations.js';
import * as Maintenance from './methods/maintenance.js';
import * as Ui from './methods/ui.js';

function methodsOf(mod: Record<string, unknown>): AnyMethod[] {
  return Object.values(mod).filter(
    (v): v is AnyMethod => typeof v === 'object' && v !== null && (v as { kind?: string }).kind === 'method',
  );
}
function notificationsOf(mod: Record<string, unknown>): Notification<string, unknown>[] {
  return Object.values(mod).filter(
    (v): v is Notification<string, unknown> =>
      typeof v === 'object' && v !== null && (v as { kind?: string }).kind === 'notification',
  );
}

const modules: Record<string, unknown>[] = [Daemon, Events, Commands, Pipelines, Queues, Workers, Crons, Locks, Semaphores, Sessions, Status, Workspaces, Escalations, Maintenance, Ui];

export const allMethods: AnyMethod[] = modules.flatMap(methodsOf);
export const allNotifications: Notification<string, unknown>[] = modules.flatMap(notificationsOf);
