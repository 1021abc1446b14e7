/** Tables of locks, semaphores, guards and strategies (schema version 4). */
// eslint-disable-next-line @typescript-eslint/no-empty-object-type
export interface CoordinationTables {}
