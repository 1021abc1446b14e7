import { describe, expect, it } from 'vitest';
import { classifyApiError, classifyClaudeLog, parseClaudeLogLine } from './claude-log.js';

// Sample lines in the shape Claude Code writes to ~/.claude/projects/<dir>/<session>.jsonl
// (trimmed: real lines carry more fields — uuid, parentUuid, cwd, version, usage...).
const T = (s: number) => new Date(Date.UTC(2026, 0, 20, 12, 0, s)).toISOString();
const ms = (s: number) => Date.parse(T(s));
const line = (value: Record<string, unknown>) => JSON.stringify({ sessionId: 'abc', isSidechain: false, ...value });

const snapshot = JSON.stringify({ type: 'file-history-snapshot', messageId: 'm0', snapshot: {} });
const summary = JSON.stringify({ type: 'summary', summary: 'Fixing the flaky test', leafUuid: 'u9' });
const prompt = (s: number, text = 'Fix the flaky test') =>
  line({ type: 'user', timestamp: T(s), message: { role: 'user', content: text } });
const thinking = (s: number) =>
  line({
    type: 'assistant',
    timestamp: T(s),
    message: { id: 'msg_1', role: 'assistant', content: [{ type: 'thinking', thinking: 'hmm' }], stop_reason: null },
  });
const toolUse = (s: number) =>
  line({
    type: 'assistant',
    timestamp: T(s),
    message: {
      id: 'msg_1',
      role: 'assistant',
      content: [{ type: 'tool_use', id: 'toolu_1', name: 'Bash', input: { command: 'npm test' } }],
      stop_reason: null,
    },
  });
const toolResult = (s: number) =>
  line({
    type: 'user',
    timestamp: T(s),
    message: { role: 'user', content: [{ type: 'tool_result', tool_use_id: 'toolu_1', content: 'ok' }] },
    toolUseResult: { stdout: 'ok', stderr: '', interrupted: false },
  });
const reply = (s: number, stopReason: string | null) =>
  line({
    type: 'assistant',
    timestamp: T(s),
    message: { id: 'msg_2', role: 'assistant', content: [{ type: 'text', text: 'Done: the test is fixed.' }], stop_reason: stopReason },
  });
const turnDuration = (s: number) => line({ type: 'system', subtype: 'turn_duration', durationMs: 5000, timestamp: T(s) });
const retry = (s: number, attempt: number) =>
  line({
    type: 'system',
    subtype: 'api_error',
    level: 'error',
    timestamp: T(s),
    retryAttempt: attempt,
    maxRetries: 10,
    retryInMs: 500,
    error: { status: 529, message: 'overloaded' },
  });
const apiError = (s: number, text: string, error?: string, extra: Record<string, unknown> = {}) =>
  line({
    type: 'assistant',
    timestamp: T(s),
    isApiErrorMessage: true,
    ...(error ? { error } : {}),
    ...extra,
    message: {
      model: '<synthetic>',
      role: 'assistant',
      stop_reason: 'stop_sequence',
      content: [{ type: 'text', text }],
    },
  });

describe('classifyClaudeLog', () => {
  it('is unknown for an empty or bookkeeping-only log', () => {
    expect(classifyClaudeLog([])).toMatchObject({ state: 'unknown', entries: 0 });
    expect(classifyClaudeLog([snapshot, summary])).toMatchObject({ state: 'unknown', entries: 2 });
  });

  it('is working after a prompt, while thinking and while a tool runs', () => {
    expect(classifyClaudeLog([snapshot, prompt(1)])).toMatchObject({ state: 'working', since: ms(1), lastEntryAt: ms(1) });
    expect(classifyClaudeLog([prompt(1), thinking(2)]).state).toBe('working');
    expect(classifyClaudeLog([prompt(1), thinking(2), toolUse(3)])).toMatchObject({ state: 'working', since: ms(3) });
    expect(classifyClaudeLog([prompt(1), toolUse(3), toolResult(9)])).toMatchObject({ state: 'working', since: ms(9) });
  });

  it('is waiting for input after an end_turn reply with nothing after it', () => {
    const lines = [prompt(1), toolUse(3), toolResult(9), reply(12, 'end_turn')];
    expect(classifyClaudeLog(lines)).toMatchObject({ state: 'waiting_for_input', since: ms(12), lastEntryAt: ms(12) });
    // ...and working again once a nudge arrives.
    expect(classifyClaudeLog([...lines, prompt(40, 'keep going')])).toMatchObject({ state: 'working', since: ms(40) });
  });

  it('treats a text reply without stop_reason as waiting only once it has settled', () => {
    const lines = [prompt(1), reply(12, null)];
    expect(classifyClaudeLog(lines, { now: ms(13) }).state).toBe('working');
    expect(classifyClaudeLog(lines, { now: ms(20) }).state).toBe('waiting_for_input');
    expect(classifyClaudeLog(lines, { now: ms(13), settleMs: 500 }).state).toBe('waiting_for_input');
    // A turn-end marker settles it at once; a following tool call means it was mid-turn.
    expect(classifyClaudeLog([...lines, turnDuration(12)], { now: ms(12) }).state).toBe('waiting_for_input');
    expect(classifyClaudeLog([...lines, toolUse(13)], { now: ms(60) }).state).toBe('working');
  });

  it('is waiting after the user interrupted the turn', () => {
    const interrupted = line({
      type: 'user',
      timestamp: T(5),
      message: { role: 'user', content: [{ type: 'text', text: '[Request interrupted by user for tool use]' }] },
    });
    expect(classifyClaudeLog([prompt(1), toolUse(3), interrupted]).state).toBe('waiting_for_input');
  });

  it('reports API errors with their reason, and clears them on the next prompt', () => {
    const cases: Array<[string, string | undefined, string]> = [
      ['API Error: 401 {"type":"error","error":{"type":"authentication_error","message":"invalid x-api-key"}}', undefined, 'unauthorized'],
      ['Not logged in · Please run /login', 'authentication_failed', 'unauthorized'],
      ["You've hit your session limit · resets 1:20am (Europe/Berlin)", 'rate_limit', 'quota'],
      ['Credit balance is too low', 'billing_error', 'quota'],
      ['API Error: 429 rate limit exceeded', undefined, 'rate_limit'],
      ['API Error: 529 Overloaded. This is a server-side issue, usually temporary', 'server_error', 'overloaded'],
      ['API Error: Connection lost mid-response. The response above may be incomplete.', 'unknown', 'network'],
      ['API Error: Unable to connect to API (ECONNRESET)', undefined, 'network'],
      ['API Error: 400 prompt is too long', 'invalid_request', 'other'],
    ];
    for (const [text, code, reason] of cases) {
      const status = classifyClaudeLog([prompt(1), apiError(2, text, code)]);
      expect(status, text).toMatchObject({ state: 'api_error', since: ms(2), error: { reason, message: text } });
      if (code) expect(status.error?.code).toBe(code);
    }
    const recovered = classifyClaudeLog([prompt(1), apiError(2, 'API Error: 401', undefined), prompt(30, 'try again')]);
    expect(recovered).toMatchObject({ state: 'working' });
    expect(recovered.error).toBeUndefined();
  });

  it('keeps an API error as the state when a turn-end marker follows it', () => {
    const lines = [prompt(1), apiError(2, 'API Error: 401', 'authentication_failed'), turnDuration(3)];
    expect(classifyClaudeLog(lines)).toMatchObject({ state: 'api_error', error: { reason: 'unauthorized' } });
  });

  it('reports retries in progress as working', () => {
    expect(classifyClaudeLog([prompt(1), retry(2, 1), retry(4, 2)])).toMatchObject({
      state: 'working',
      since: ms(4),
      retrying: { attempt: 2, maxRetries: 10 },
    });
  });

  it('uses the HTTP status when the text says little', () => {
    const lines = [prompt(1), apiError(2, 'API Error', undefined, { apiErrorStatus: 429 })];
    expect(classifyClaudeLog(lines).error?.reason).toBe('rate_limit');
  });

  it('lets sub-agent entries count as activity without deciding the state', () => {
    const sidechain = line({
      type: 'assistant',
      isSidechain: true,
      timestamp: T(50),
      message: { role: 'assistant', content: [{ type: 'text', text: 'sub-agent done' }], stop_reason: 'end_turn' },
    });
    expect(classifyClaudeLog([prompt(1), toolUse(2), sidechain])).toMatchObject({ state: 'working', since: ms(2), lastEntryAt: ms(50) });
  });

  it('skips unreadable lines and meta/local-command entries', () => {
    const meta = line({ type: 'user', isMeta: true, timestamp: T(20), message: { role: 'user', content: 'Caveat: ...' } });
    const local = line({
      type: 'user',
      timestamp: T(21),
      message: { role: 'user', content: '<local-command-stdout>ok</local-command-stdout>' },
    });
    const status = classifyClaudeLog([prompt(1), reply(12, 'end_turn'), '{"truncated', 'not json', meta, local]);
    expect(status).toMatchObject({ state: 'waiting_for_input', since: ms(12), lastEntryAt: ms(21), entries: 4, skipped: 2 });
  });

  it('understands stream-json result lines', () => {
    const ok = JSON.stringify({ type: 'result', subtype: 'success', is_error: false, result: 'done' });
    const failed = JSON.stringify({ type: 'result', is_error: true, result: 'Invalid API key · Fix external API key', api_error_status: 401 });
    expect(classifyClaudeLog([prompt(1), reply(2, null), ok]).state).toBe('waiting_for_input');
    expect(classifyClaudeLog([prompt(1), failed])).toMatchObject({ state: 'api_error', error: { reason: 'unauthorized' } });
  });
});

describe('parseClaudeLogLine', () => {
  it('tells tool use, text, results and errors apart', () => {
    expect(parseClaudeLogLine(toolUse(1))).toEqual({ kind: 'assistant_tool_use', at: ms(1), sidechain: false });
    expect(parseClaudeLogLine(reply(2, 'end_turn'))).toEqual({ kind: 'assistant_text', at: ms(2), sidechain: false, stopReason: 'end_turn' });
    expect(parseClaudeLogLine(toolResult(3))?.kind).toBe('tool_result');
    expect(parseClaudeLogLine(apiError(4, 'API Error: 500', 'server_error'))?.kind).toBe('api_error');
    expect(parseClaudeLogLine('[1,2]')).toBeUndefined();
    expect(parseClaudeLogLine('{')).toBeUndefined();
  });
});

describe('classifyApiError', () => {
  it('maps codes, statuses and texts to reasons', () => {
    expect(classifyApiError('authentication_failed', 'whatever')).toBe('unauthorized');
    expect(classifyApiError(undefined, 'OAuth token has expired')).toBe('unauthorized');
    expect(classifyApiError(undefined, 'x', 403)).toBe('unauthorized');
    expect(classifyApiError('billing_error', 'x')).toBe('quota');
    expect(classifyApiError(undefined, 'Claude AI usage limit reached|1750000000')).toBe('quota');
    expect(classifyApiError(undefined, '5-hour limit reached ∙ resets 3pm')).toBe('quota');
    expect(classifyApiError(undefined, 'Rate limit reached for requests')).toBe('rate_limit');
    expect(classifyApiError('rate_limit', 'API Error')).toBe('rate_limit');
    expect(classifyApiError(undefined, 'Too Many Requests')).toBe('rate_limit');
    expect(classifyApiError(undefined, 'Request timed out.')).toBe('network');
    expect(classifyApiError(undefined, 'fetch failed')).toBe('network');
    expect(classifyApiError('server_error', 'API Error: 500 Internal server error')).toBe('other');
  });
});
