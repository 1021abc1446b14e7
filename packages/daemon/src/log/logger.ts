/**
 * The daemon's log: JSON lines in <state>/ojd.log (read with `oj daemon
 * logs`), one synchronous append per line (log-file.ts). In the foreground it
 * also writes readable lines to stderr, which systemd's journal or launchd's
 * log file keep. Secrets (redact.ts) never reach either: fields named like
 * one, and known secret values anywhere.
 *
 * A logger of its own rather than winston: what ojd needs (levels, one JSON
 * line per entry, redaction) is a few lines, and winston with its formats and
 * streams was ~80 module files an idle daemon kept in memory (~4 MB of RSS;
 * docs/performance.md). The lines are the ones winston's json format wrote:
 * `{"level","message",...fields,"timestamp"}`.
 */
import { closeSync, constants, fstatSync, openSync, writeSync } from 'node:fs';
import { LogFile } from './log-file.js';
import { redactValue, scrubText } from './redact.js';

/** The levels, most severe first; a logger writes its own level and those above it. */
const LEVELS = { error: 0, warn: 1, info: 2, http: 3, verbose: 4, debug: 5, silly: 6 } as const;
export type LogLevel = keyof typeof LEVELS;

/** Structured fields of an entry (JSON values; anything else is written as JSON.stringify would). */
export type LogFields = Record<string, unknown>;

export interface Logger {
  error(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  debug(message: string, fields?: LogFields): void;
  log(level: LogLevel, message: string, fields?: LogFields): void;
}

/** Where entries go: the log file, stderr, or nowhere (a silent logger). */
class DaemonLogger implements Logger {
  private readonly threshold: number;

  constructor(
    level: string,
    private readonly file: LogFile | null,
    private readonly stderr: boolean,
  ) {
    this.threshold = isLevel(level) ? LEVELS[level] : LEVELS.info;
  }

  error(message: string, fields?: LogFields): void {
    this.log('error', message, fields);
  }
  warn(message: string, fields?: LogFields): void {
    this.log('warn', message, fields);
  }
  info(message: string, fields?: LogFields): void {
    this.log('info', message, fields);
  }
  debug(message: string, fields?: LogFields): void {
    this.log('debug', message, fields);
  }

  log(level: LogLevel, message: string, fields: LogFields = {}): void {
    if (LEVELS[level] > this.threshold || (this.file === null && !this.stderr)) return;
    const { level: _l, message: _m, timestamp: _t, ...rest } = fields;
    const timestamp = new Date().toISOString();
    const entry = redactValue({ level, message: String(message), ...rest, timestamp }, { keys: true });
    if (this.file) this.file.line(stringify(entry) + '\n');
    if (this.stderr) {
      const { timestamp: time, level: lvl, message: text, ...extra } = entry;
      process.stderr.write(`${time} ${lvl} ${text}${Object.keys(extra).length ? ' ' + stringify(extra) : ''}\n`);
    }
  }

  close(): void {
    this.file?.closeFile();
  }
}

function isLevel(level: string): level is LogLevel {
  return Object.hasOwn(LEVELS, level);
}

/** JSON that never throws: bigints as numbers' text, a cycle as "[Circular]". */
function stringify(value: unknown): string {
  const seen = new WeakSet<object>();
  return JSON.stringify(value, (_key, v: unknown) => {
    if (typeof v === 'bigint') return v.toString();
    if (v instanceof Error) return { name: v.name, message: v.message };
    if (v !== null && typeof v === 'object') {
      if (seen.has(v)) return '[Circular]';
      seen.add(v);
    }
    return v;
  });
}

export function createLogger(logFile: string, options: { stderr: boolean; level?: string }): Logger {
  // Synchronous, private, and it goes on after a full disk (log-file.ts).
  const file = new LogFile({ filename: logFile, maxBytes: 20 * 1024 * 1024, maxFiles: 3 });
  return new DaemonLogger(options.level ?? process.env.OJ_LOG_LEVEL ?? 'info', file, options.stderr);
}

/** A logger that writes nothing (tests, tools that need one). */
export function silentLogger(): Logger {
  return new DaemonLogger('error', null, false);
}

/**
 * Writes a fatal line synchronously, in the log's own JSON format, so that it
 * is on disk before the process exits, whether or not the daemon has a
 * logger yet.
 * `oj` shows this line when an auto-start fails. The log may not have been
 * checked yet (the start failed early): it is never followed through a
 * symbolic link, nor written when it is not our own private file. `logFile`
 * null: stderr only (the state dir itself was refused).
 */
export function writeFatal(logFile: string | null, message: string, extra: Record<string, unknown> = {}): void {
  const line = JSON.stringify(redactValue({ level: 'error', message: scrubText(message), fatal: true, ...extra, timestamp: new Date().toISOString() }, { keys: true }));
  if (logFile !== null) appendPrivate(logFile, line + '\n');
  process.stderr.write(`ojd: ${message}\n`);
}

function appendPrivate(file: string, text: string): void {
  let fd: number;
  try {
    fd = openSync(file, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT | constants.O_NOFOLLOW, 0o600);
  } catch {
    return; // the state dir may be what failed, or the log is a link; stderr still tells
  }
  try {
    const st = fstatSync(fd);
    const ours = st.uid === (process.getuid?.() ?? st.uid) && st.nlink === 1 && (st.mode & 0o022) === 0;
    if (ours && st.isFile()) writeSync(fd, text);
  } catch {
    // as above
  } finally {
    closeSync(fd);
  }
}

/** Closes the logger's file (every line is already written: each is appended synchronously). */
export function closeLogger(logger: Logger): Promise<void> {
  if (logger instanceof DaemonLogger) logger.close();
  return Promise.resolve();
}
