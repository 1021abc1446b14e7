/** Tables of queues, workers and crons (schema version 3). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface QueueTables {}
