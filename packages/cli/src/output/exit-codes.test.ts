import { ErrorCode, OjError } from '@oj/protocol/client';
import { describe, expect, it } from 'vitest';
import { EXIT_CODES, ExitCode, NotFoundError, UsageError, exitCodeOf, pipelineEndCode } from './exit-codes.js';

describe('exit codes', () => {
  it('every protocol error code ends a command with a code from the table', () => {
    const table = new Set(EXIT_CODES.map((e) => e.code));
    for (const code of Object.values(ErrorCode)) expect(table.has(exitCodeOf(new OjError(code, 'x')))).toBe(true);
  });
  it('not found 3, ambiguous and bad arguments 2, timeout 124, a refusal 1', () => {
    expect(exitCodeOf(new OjError(ErrorCode.NotFound, 'x'))).toBe(ExitCode.NotFound);
    expect(exitCodeOf(new OjError(ErrorCode.Ambiguous, 'x'))).toBe(ExitCode.Usage);
    expect(exitCodeOf(new OjError(ErrorCode.InvalidParams, 'x'))).toBe(ExitCode.Usage);
    expect(exitCodeOf(new OjError(ErrorCode.BadArguments, 'x'))).toBe(ExitCode.Usage);
    expect(exitCodeOf(new OjError(ErrorCode.Timeout, 'x'))).toBe(ExitCode.TimedOut);
    expect(exitCodeOf(new OjError(ErrorCode.IllegalState, 'x'))).toBe(ExitCode.Failure);
    expect(exitCodeOf(new UsageError('x'))).toBe(2);
    expect(exitCodeOf(new NotFoundError('x'))).toBe(3);
    expect(exitCodeOf(new Error('x'))).toBe(1);
  });
  it('a pipeline waited for: done 0, failed 1, cancelled 4', () => {
    expect([pipelineEndCode('done'), pipelineEndCode('failed'), pipelineEndCode('cancelled')]).toEqual([0, 1, 4]);
  });
  it('the table has each code once: 0, 1, 2, 3, 4, 124, 130', () => {
    expect(EXIT_CODES.map((e) => e.code)).toEqual([0, 1, 2, 3, 4, 124, 130]);
  });
});
