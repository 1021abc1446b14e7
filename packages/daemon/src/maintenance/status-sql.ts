/** Pipeline statuses as SQL lists (`('done', 'failed', 'cancelled')`), made from their one definition. */
import { PIPELINE_STATUSES } from '@oj/protocol';
import { TERMINAL } from '../core/pipeline-state.js';

const sqlList = (values: Iterable<string>): string => `(${[...values].map((v) => `'${v}'`).join(', ')})`;

/** The statuses of a pipeline that has ended. */
export const TERMINAL_SQL = sqlList(TERMINAL);

/** Every status a pipeline can have. */
export const PIPELINE_STATUSES_SQL = sqlList(PIPELINE_STATUSES);
