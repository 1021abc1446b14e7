/**
 * Reads Claude Code's JSONL session log and says what the agent is doing:
 * working, waiting for input, or stopped by an API error (and why). Pure
 * functions over lines; finding and reading the file is claude-log-locator.ts.
 *
 * The format is Claude Code's internal one, not a published contract, so the
 * parser is tolerant: lines it cannot read are skipped. What it relies on:
 *
 *   {"type":"user", "message":{"content": "prompt" | [{type:"text"|"tool_result",...}]}, "timestamp", "isSidechain", "isMeta"?}
 *   {"type":"assistant", "message":{"content":[{type:"text"|"thinking"|"tool_use",...}], "stop_reason": "end_turn"|"tool_use"|null}}
 *   {"type":"assistant", "isApiErrorMessage":true, "error":"rate_limit"|"authentication_failed"|"billing_error"|
 *        "server_error"|"invalid_request"|"unknown", "message":{"model":"<synthetic>","content":[{type:"text",text:"API Error: ..."}]}}
 *   {"type":"system", "subtype":"api_error", "retryAttempt":1, "maxRetries":10, "error":{...}}   a retry in progress
 *   {"type":"system", "subtype":"turn_duration" | "stop_hook_summary"}                            the turn ended
 *   {"type":"summary" | "file-history-snapshot" | "queue-operation" | ...}                        bookkeeping, ignored
 *
 * Each streamed content block is its own line and `stop_reason` is often
 * null on them, so a trailing text-only reply counts as waiting only once it
 * has settled (no further entry for `settleMs`), unless a turn-end marker or
 * an explicit end_turn says so earlier. Entries of sub-agents
 * (`isSidechain: true`) count as activity but do not decide the state.
 *
 * `--output-format stream-json` lines (`{"type":"result","is_error":...}`) are
 * understood as well.
 */

export type ClaudeAgentState = 'working' | 'waiting_for_input' | 'api_error' | 'unknown';

export type ApiErrorReason = 'unauthorized' | 'quota' | 'rate_limit' | 'overloaded' | 'network' | 'other';

export interface ClaudeApiError {
  reason: ApiErrorReason;
  /** Claude Code's own code when it gave one (e.g. "rate_limit"). */
  code?: string;
  message: string;
}

export type ClaudeLogEntry =
  | { kind: 'user_prompt'; at?: number; sidechain: boolean }
  | { kind: 'tool_result'; at?: number; sidechain: boolean }
  | { kind: 'interrupted'; at?: number; sidechain: boolean }
  | { kind: 'assistant_tool_use'; at?: number; sidechain: boolean }
  /** Thinking only: the reply is still to come. */
  | { kind: 'assistant_thinking'; at?: number; sidechain: boolean }
  | { kind: 'assistant_text'; at?: number; sidechain: boolean; stopReason: string | null }
  | { kind: 'api_error'; at?: number; sidechain: boolean; error: ClaudeApiError }
  | { kind: 'api_retry'; at?: number; sidechain: boolean; attempt?: number; maxRetries?: number }
  | { kind: 'turn_end'; at?: number; sidechain: boolean }
  | { kind: 'other'; at?: number; sidechain: boolean };

export interface ClaudeLogStatus {
  state: ClaudeAgentState;
  /** Time (ms) of the entry that put the agent in this state. */
  since?: number;
  /** Time (ms) of the newest entry of any kind, sub-agents included. */
  lastEntryAt?: number;
  /** Set when state is api_error. */
  error?: ClaudeApiError;
  /** Set while Claude Code retries a failing API call. */
  retrying?: { attempt?: number; maxRetries?: number };
  /** Lines read, and lines skipped as unreadable. */
  entries: number;
  skipped: number;
}

export interface ClassifyOptions {
  /** Current time (ms); without it a trailing text-only reply with no stop_reason counts as waiting. */
  now?: number;
  /** How long such a reply must stand before it counts as waiting (default 5 s). */
  settleMs?: number;
}

const FINAL_STOP_REASONS = new Set(['end_turn', 'stop_sequence', 'max_tokens', 'refusal']);
const TURN_END_SUBTYPES = new Set(['turn_duration', 'stop_hook_summary']);

/** One log line as an entry, or undefined when it is not a JSON object. */
export function parseClaudeLogLine(line: string): ClaudeLogEntry | undefined {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!isRecord(value)) return undefined;
  const at = parseTime(value.timestamp);
  const base = { sidechain: value.isSidechain === true, ...(at === undefined ? {} : { at }) };
  switch (value.type) {
    case 'user':
      return { kind: userKind(value), ...base };
    case 'assistant':
      return assistantEntry(value, base);
    case 'system':
      return systemEntry(value, base);
    case 'result':
      return resultEntry(value, base);
    default:
      return { kind: 'other', ...base };
  }
}

/** Folds log lines (oldest first) into the agent's state. */
export function classifyClaudeLog(lines: Iterable<string>, options: ClassifyOptions = {}): ClaudeLogStatus {
  const settleMs = options.settleMs ?? 5000;
  const fold = new StateFold();
  let entries = 0;
  let skipped = 0;
  let lastEntryAt: number | undefined;

  for (const line of lines) {
    if (line.trim().length === 0) continue;
    const entry = parseClaudeLogLine(line);
    if (!entry) {
      skipped++;
      continue;
    }
    entries++;
    if (entry.at !== undefined) lastEntryAt = Math.max(lastEntryAt ?? entry.at, entry.at);
    if (!entry.sidechain) fold.apply(entry);
  }

  let state = fold.state;
  if (fold.pendingText) {
    const at = fold.pendingText.at;
    if (options.now === undefined || at === undefined || options.now - at >= settleMs) state = 'waiting_for_input';
  }
  return {
    state,
    entries,
    skipped,
    ...(fold.since === undefined ? {} : { since: fold.since }),
    ...(lastEntryAt === undefined ? {} : { lastEntryAt }),
    ...(state === 'api_error' && fold.error ? { error: fold.error } : {}),
    ...(state === 'working' && fold.retrying ? { retrying: fold.retrying } : {}),
  };
}

/** The state as main-chain entries arrive, oldest first. */
class StateFold {
  state: ClaudeAgentState = 'unknown';
  since: number | undefined;
  error: ClaudeApiError | undefined;
  retrying: ClaudeLogStatus['retrying'];
  /** A text-only reply with no stop_reason: waiting once it settles, unless something follows. */
  pendingText: { at?: number } | undefined;

  apply(entry: ClaudeLogEntry): void {
    switch (entry.kind) {
      case 'user_prompt':
      case 'tool_result':
      case 'assistant_tool_use':
      case 'assistant_thinking':
        this.set('working', entry.at);
        break;
      case 'assistant_text':
        if (entry.stopReason !== null && FINAL_STOP_REASONS.has(entry.stopReason)) {
          this.set('waiting_for_input', entry.at);
        } else {
          this.set('working', entry.at);
          this.pendingText = entry.at === undefined ? {} : { at: entry.at };
        }
        break;
      case 'interrupted':
        this.set('waiting_for_input', entry.at);
        break;
      case 'api_error':
        this.set('api_error', entry.at);
        this.error = entry.error;
        break;
      case 'api_retry':
        this.set('working', entry.at);
        this.retrying = {
          ...(entry.attempt === undefined ? {} : { attempt: entry.attempt }),
          ...(entry.maxRetries === undefined ? {} : { maxRetries: entry.maxRetries }),
        };
        break;
      case 'turn_end':
        // A turn-end marker also follows a failed turn; the error stays the news.
        if (this.state !== 'api_error') this.set('waiting_for_input', entry.at);
        break;
      case 'other':
        break;
    }
  }

  private set(state: ClaudeAgentState, at: number | undefined): void {
    this.state = state;
    if (at !== undefined) this.since = at;
    this.error = undefined;
    this.retrying = undefined;
    this.pendingText = undefined;
  }
}

/** Names the cause of an API error from Claude Code's code, the HTTP status and the text shown. */
export function classifyApiError(code: string | undefined, text: string, status?: number): ApiErrorReason {
  const t = text.toLowerCase();
  if (
    code === 'authentication_failed' ||
    status === 401 ||
    status === 403 ||
    /\b40[13]\b|unauthori[sz]ed|forbidden|invalid (x-)?api[ -]key|authenticat|not logged in|please run \/login|oauth token|token (has )?(expired|been revoked)|has been revoked|login expired/.test(t)
  ) {
    return 'unauthorized';
  }
  if (
    code === 'billing_error' ||
    status === 402 ||
    /quota|credit balance|billing|(usage|session|weekly|daily|monthly|\d+-hour|opus|sonnet) limit|hit your (\w+ )?limit|out of (extra )?usage|insufficient (credit|fund|balance)/.test(t)
  ) {
    return 'quota';
  }
  if (code === 'rate_limit' || status === 429 || /rate[ _-]?limit|too many requests|\b429\b/.test(t)) return 'rate_limit';
  if (status === 529 || /overloaded|\b529\b/.test(t)) return 'overloaded';
  if (
    /network|connection (error|lost|refused|reset|closed|timed out)|unable to connect|socket hang up|fetch failed|failedtoopensocket|econnreset|econnrefused|etimedout|enotfound|eai_again|ehostunreach|enetunreach|timed out|timeout|\b52[0-4]\b/.test(
      t,
    )
  ) {
    return 'network';
  }
  return 'other';
}

type Base = { sidechain: boolean; at?: number };

function userKind(entry: Record<string, unknown>): 'user_prompt' | 'tool_result' | 'interrupted' | 'other' {
  if (entry.isMeta === true) return 'other';
  const content = isRecord(entry.message) ? entry.message.content : undefined;
  if (typeof content === 'string') {
    if (content.startsWith('[Request interrupted by user')) return 'interrupted';
    if (/^<(local-command-std(out|err)|command-name)>/.test(content.trimStart())) return 'other';
    return 'user_prompt';
  }
  if (Array.isArray(content)) {
    if (content.some((item) => isRecord(item) && item.type === 'tool_result')) return 'tool_result';
    const text = textOf(content);
    if (text.startsWith('[Request interrupted by user')) return 'interrupted';
    return 'user_prompt';
  }
  return 'other';
}

function assistantEntry(entry: Record<string, unknown>, base: Base): ClaudeLogEntry {
  const message = isRecord(entry.message) ? entry.message : {};
  const content = message.content;
  const text = typeof content === 'string' ? content : Array.isArray(content) ? textOf(content) : '';
  const code = typeof entry.error === 'string' ? entry.error : undefined;
  const status = typeof entry.apiErrorStatus === 'number' ? entry.apiErrorStatus : undefined;
  if (entry.isApiErrorMessage === true || code !== undefined || /^API Error\b/.test(text.trimStart())) {
    const messageText = text.trim() || code || 'API error';
    return {
      kind: 'api_error',
      ...base,
      error: { reason: classifyApiError(code, messageText, status), message: messageText, ...(code ? { code } : {}) },
    };
  }
  if (Array.isArray(content) && content.some((item) => isRecord(item) && item.type === 'tool_use')) {
    return { kind: 'assistant_tool_use', ...base };
  }
  const stopReason = typeof message.stop_reason === 'string' ? message.stop_reason : null;
  if (stopReason === 'tool_use') return { kind: 'assistant_tool_use', ...base };
  if (stopReason === null && text.length === 0 && Array.isArray(content) && content.some((i) => isRecord(i) && i.type === 'thinking')) {
    return { kind: 'assistant_thinking', ...base };
  }
  return { kind: 'assistant_text', ...base, stopReason };
}

function systemEntry(entry: Record<string, unknown>, base: Base): ClaudeLogEntry {
  if (entry.subtype === 'api_error') {
    return {
      kind: 'api_retry',
      ...base,
      ...(typeof entry.retryAttempt === 'number' ? { attempt: entry.retryAttempt } : {}),
      ...(typeof entry.maxRetries === 'number' ? { maxRetries: entry.maxRetries } : {}),
    };
  }
  if (typeof entry.subtype === 'string' && TURN_END_SUBTYPES.has(entry.subtype)) return { kind: 'turn_end', ...base };
  return { kind: 'other', ...base };
}

function resultEntry(entry: Record<string, unknown>, base: Base): ClaudeLogEntry {
  if (entry.is_error !== true) return { kind: 'turn_end', ...base };
  const text = typeof entry.result === 'string' ? entry.result : typeof entry.subtype === 'string' ? entry.subtype : 'error';
  const status = typeof entry.api_error_status === 'number' ? entry.api_error_status : undefined;
  return { kind: 'api_error', ...base, error: { reason: classifyApiError(undefined, text, status), message: text } };
}

function textOf(content: unknown[]): string {
  return content
    .map((item) => (isRecord(item) && item.type === 'text' && typeof item.text === 'string' ? item.text : ''))
    .filter((t) => t.length > 0)
    .join('\n');
}

function parseTime(value: unknown): number | undefined {
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
