/** How a JsonRpcConnection is set up; every limit defaults to none, so a side opts into the ones it needs. */
import type { JSONRPCServer } from 'json-rpc-2.0';

export type ConnectionLog = (level: 'debug' | 'warn' | 'error', message: string, fields: Record<string, unknown>) => void;

export interface JsonRpcConnectionOptions<Ctx> {
  /** The longest line read (bytes, without its newline); a longer one is refused and skipped. Default MAX_LINE_BYTES. */
  maxLineBytes?: number;
  /** The longest request sent; a longer call fails at once with LineTooLong. Default MAX_LINE_BYTES. */
  maxRequestBytes?: number;
  /** Refuse a line nesting deeper than this before parsing it. Default MAX_JSON_DEPTH. */
  maxDepth?: number;
  /** Reading pauses while this many incoming requests are in flight (a batch counts its members). */
  maxInFlight?: number;
  /** Reading pauses, and writable() waits, while this much output is unread by the peer. */
  pauseOutputBytes?: number;
  /** A peer that leaves this much output unread is disconnected. */
  dropOutputBytes?: number;
  /** A batch stops running its members once their answers pass this size. Default MAX_BATCH_ANSWER_BYTES. */
  maxBatchAnswerBytes?: number;
  /** Runs before output is written; a promise holds the output until it resolves (see Outbox). */
  beforeOutput?: () => void | PromiseLike<void>;
  /**
   * A method table shared by many connections (each passes its `context` to
   * the handlers). Without it the connection has its own, filled by handle().
   */
  server?: JSONRPCServer<Ctx>;
  context?: Ctx;
  /** The connection only answers: a response-shaped message is an invalid request, not the answer to a call. */
  answersOnly?: boolean;
  /** Default deadline of call() (default: none). */
  callTimeoutMs?: number;
  /** Who is at the other end, for messages ("the daemon"). Default "the peer". */
  peerName?: string;
  /** The message of calls failed by the connection closing. Default "connection closed". */
  closedMessage?: string;
  /** The hint of those failures. */
  closedHint?: string;
  log?: ConnectionLog;
}
