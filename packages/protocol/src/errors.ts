/**
 * Error codes. -32768..-32000 is reserved by JSON-RPC 2.0; the spec codes are
 * used for what they mean. oj's own codes are positive, each with a typed
 * `data` object whose `kind` names the error.
 */
export const ErrorCode = {
  // JSON-RPC 2.0 reserved codes
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
  // oj application codes
  NotFound: 1001,
  AlreadyExists: 1002,
  Ambiguous: 1003,
  IllegalState: 1004,
  VersionMismatch: 1005,
  RunbookInvalid: 1006,
  ProjectNotFound: 1007,
  LineTooLong: 1008,
  Timeout: 1009,
  Unavailable: 1010,
  BadArguments: 1011,
  DiskFull: 1012,
} as const;

export type ErrorCodeName = keyof typeof ErrorCode;
export type ErrorCodeValue = (typeof ErrorCode)[ErrorCodeName];

/** The `data` object carried by every oj application error. */
export interface OjErrorData {
  /** Stable machine name, e.g. "not_found". */
  kind: string;
  /** A one-line hint for a human, e.g. the command that fixes it. */
  hint?: string;
  [key: string]: unknown;
}

/** The kind names of application errors, by code. */
export const ErrorKind: Record<number, string> = {
  [ErrorCode.ParseError]: 'parse_error',
  [ErrorCode.InvalidRequest]: 'invalid_request',
  [ErrorCode.MethodNotFound]: 'method_not_found',
  [ErrorCode.InvalidParams]: 'invalid_params',
  [ErrorCode.InternalError]: 'internal_error',
  [ErrorCode.NotFound]: 'not_found',
  [ErrorCode.AlreadyExists]: 'already_exists',
  [ErrorCode.Ambiguous]: 'ambiguous',
  [ErrorCode.IllegalState]: 'illegal_state',
  [ErrorCode.VersionMismatch]: 'version_mismatch',
  [ErrorCode.RunbookInvalid]: 'runbook_invalid',
  [ErrorCode.ProjectNotFound]: 'project_not_found',
  [ErrorCode.LineTooLong]: 'line_too_long',
  [ErrorCode.Timeout]: 'timeout',
  [ErrorCode.Unavailable]: 'unavailable',
  [ErrorCode.BadArguments]: 'bad_arguments',
  [ErrorCode.DiskFull]: 'disk_full',
};

/**
 * A domain error with a code and structured data. The daemon throws these; one
 * function in the server maps them to JSON-RPC error responses, and the client
 * turns error responses back into OjError.
 */
export class OjError extends Error {
  override readonly name = 'OjError';
  constructor(
    readonly code: number,
    message: string,
    readonly data: OjErrorData = { kind: ErrorKind[code] ?? 'error' },
  ) {
    super(message);
  }

  static notFound(what: string, id: string, extra: Partial<OjErrorData> = {}): OjError {
    return new OjError(ErrorCode.NotFound, `${what} not found: ${id}`, { kind: 'not_found', what, id, ...extra });
  }

  static illegalState(message: string, extra: Partial<OjErrorData> = {}): OjError {
    return new OjError(ErrorCode.IllegalState, message, { kind: 'illegal_state', ...extra });
  }
}
