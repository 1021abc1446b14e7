/** What handlers may use of the running daemon. */
import type { DaemonStatus, ProjectStatus } from '@oj/protocol';
import type { Logger } from 'winston';
import type { EventLog } from '../events/event-log.js';

export interface DaemonContext {
  readonly events: EventLog;
  readonly logger: Logger;
  now(): number;
  status(): Promise<DaemonStatus>;
  reload(): ProjectStatus[];
  stop(reason: string, options?: { killSessions?: boolean }): Promise<void>;
}
