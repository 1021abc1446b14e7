/**
 * Errors on the wire and back: an error response carries a code and a `data`
 * object whose `kind` names it (every oj error has one); a caller gets it
 * back as an OjError with the same code and data.
 */
import { JSONRPCErrorException, createJSONRPCErrorResponse, type JSONRPCErrorResponse, type JSONRPCID } from 'json-rpc-2.0';
import { ErrorCode, ErrorKind, OjError, type OjErrorData } from '../errors.js';
import { MAX_BATCH_ANSWER_BYTES } from '../limits.js';
import type { RequestId } from './request-checks.js';

/** The error response for what a handler threw (anything not an OjError is an internal error). */
export function errorResponseFor(id: JSONRPCID, error: unknown, onInternal?: (error: unknown) => void): JSONRPCErrorResponse {
  if (error instanceof OjError || error instanceof JSONRPCErrorException) {
    return createJSONRPCErrorResponse(id, error.code, error.message, error.data);
  }
  onInternal?.(error);
  return createJSONRPCErrorResponse(id, ErrorCode.InternalError, 'internal error: ' + (error instanceof Error ? error.message : String(error)), {
    kind: 'internal_error',
  });
}

/** Gives spec errors produced by json-rpc-2.0 itself the `data.kind` every oj error has (in place). */
export function withErrorData<T>(response: T): T {
  const fix = (r: unknown) => {
    const err = (r as { error?: { code: number; data?: unknown } } | null)?.error;
    if (err && err.data === undefined) err.data = { kind: ErrorKind[err.code] ?? 'error' };
  };
  if (Array.isArray(response)) response.forEach(fix);
  else fix(response);
  return response;
}

/** The OjError for an error response's `error` member. */
export function ojErrorOf(error: { code: number; message: string; data?: unknown }): OjError {
  return new OjError(error.code, error.message, isErrorData(error.data) ? error.data : { kind: ErrorKind[error.code] ?? 'error' });
}

function isErrorData(value: unknown): value is OjErrorData {
  return typeof value === 'object' && value !== null && typeof (value as { kind?: unknown }).kind === 'string';
}

export function unavailableData(hint: string | undefined): OjErrorData {
  return hint === undefined ? { kind: 'unavailable' } : { kind: 'unavailable', hint };
}

export function invalidRequest(id: RequestId, reason: string): JSONRPCErrorResponse {
  return createJSONRPCErrorResponse(id, ErrorCode.InvalidRequest, `invalid request: ${reason}`, { kind: 'invalid_request' });
}

export function lineTooLongResponse(limit: number): JSONRPCErrorResponse {
  return createJSONRPCErrorResponse(null, ErrorCode.LineTooLong, `request line too long: over ${limit} bytes`, {
    kind: 'line_too_long',
    limit,
  });
}

export function tooDeepResponse(maxDepth: number): JSONRPCErrorResponse {
  return createJSONRPCErrorResponse(null, ErrorCode.InvalidRequest, `request nested deeper than ${maxDepth} levels`, {
    kind: 'invalid_request',
    maxDepth,
  });
}

export function parseErrorResponse(error: unknown): JSONRPCErrorResponse {
  return createJSONRPCErrorResponse(null, ErrorCode.ParseError, 'parse error: ' + (error as Error).message, { kind: 'parse_error' });
}

export function batchTooLarge(id: RequestId, bytes: number, limit: number = MAX_BATCH_ANSWER_BYTES): JSONRPCErrorResponse {
  return createJSONRPCErrorResponse(
    id,
    ErrorCode.Unavailable,
    `not run: the batch's answers already reached ${bytes} bytes (the limit is ${limit})`,
    { kind: 'batch_too_large', limit, hint: 'send fewer requests per batch, or smaller pages (limit)' },
  );
}

/** A request refused before it was sent: longer than the receiving side accepts. */
export function requestTooLong(id: JSONRPCID, method: string, bytes: number, limit: number, peer: string): JSONRPCErrorResponse {
  return createJSONRPCErrorResponse(id, ErrorCode.LineTooLong, `the ${method} request is ${bytes} bytes, over ${peer}'s ${limit}-byte line limit`, {
    kind: 'line_too_long',
    limit,
    hint: 'send less in one request',
  });
}
