/**
 * The longest JSON text (one line, in bytes, without its newline) the daemon
 * accepts. A longer line is refused with ErrorCode.LineTooLong and skipped;
 * the connection stays usable.
 */
export const MAX_LINE_BYTES = 4 * 1024 * 1024;

/** A batch stops running its members once their answers pass this size (each one left gets an error). */
export const MAX_BATCH_ANSWER_BYTES = 16 * 1024 * 1024;

/** The most items one `queues.take` (`count`) or one `queues.complete`/`queues.fail` (`ids`) handles. */
export const QUEUE_BATCH_MAX = 100;
