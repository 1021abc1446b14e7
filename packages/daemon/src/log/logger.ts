/**
 * The daemon's log: winston, JSON lines in <state>/ojd.log (read with
 * `oj daemon logs`), written by log-file.ts. In the foreground it also writes readable lines to
 * stderr, which systemd's journal or launchd's log file keep.
 */
import { closeSync, constants, fstatSync, openSync, writeSync } from 'node:fs';
import winston from 'winston';
import { LogFile } from './log-file.js';
import { redactValue, scrubText } from './redact.js';

/** Secrets (see redact.ts) never reach the log: fields named like one, and known secret values anywhere. */
const redact = winston.format((info) => {
  const out = redactValue(info, { keys: true });
  if (out === info) return info;
  // redactValue copies string-keyed fields only; winston keeps its level and splat under symbols.
  for (const sym of Object.getOwnPropertySymbols(info)) Object.defineProperty(out, sym, { value: (info as never)[sym], enumerable: true, writable: true });
  return out;
});

export function createLogger(logFile: string, options: { stderr: boolean; level?: string }): winston.Logger {
  const transports: winston.transport[] = [
    // Synchronous, private, and it goes on after a full disk (log-file.ts).
    new winston.transports.Stream({
      stream: new LogFile({ filename: logFile, maxBytes: 20 * 1024 * 1024, maxFiles: 3 }),
      eol: '\n',
      format: winston.format.combine(redact(), winston.format.timestamp(), winston.format.json()),
    }),
  ];
  if (options.stderr) {
    transports.push(
      new winston.transports.Console({
        stderrLevels: ['error', 'warn', 'info', 'debug'],
        format: winston.format.combine(
          redact(),
          winston.format.timestamp(),
          winston.format.printf(({ timestamp, level, message, ...rest }) => {
            const extra = Object.keys(rest).length ? ' ' + JSON.stringify(rest) : '';
            return `${String(timestamp)} ${level} ${String(message)}${extra}`;
          }),
        ),
      }),
    );
  }
  return winston.createLogger({ level: options.level ?? process.env.OJ_LOG_LEVEL ?? 'info', transports });
}

/**
 * Writes a fatal line synchronously, in the log's own JSON format, so that it
 * is on disk before the process exits (winston's file transport is async).
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

/** Flushes and closes the logger (waits for the file transport to finish). */
export function closeLogger(logger: winston.Logger): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, 1000);
    logger.on('finish', () => {
      clearTimeout(timer);
      resolve();
    });
    logger.end();
  });
}

/** A logger that writes nothing (tests, tools). */
export function silentLogger(): winston.Logger {
  return winston.createLogger({ silent: true });
}
