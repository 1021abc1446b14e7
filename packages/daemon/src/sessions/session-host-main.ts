/**
 * Entry point of a session host process:
 *
 *   node session-host-main.js <session-dir>
 *
 * ojd spawns it detached (own process group, no stdio of ojd's), so it
 * outlives ojd: ojd can stop, crash or restart and reconnect to host.sock.
 * It reads spec.json, runs the command in a pty and serves host.sock until
 * the command has exited and either a client asked for `host.shutdown` or
 * the linger period passed; then it removes host.sock and exits.
 *
 * Fatal start errors go to host.err (ojd reports them) and exit status 1.
 */
import { appendFileSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { SessionHostMethods } from '@oj/protocol';
import { sessionPaths, type SessionPaths } from './session-files.js';
import { SessionHost } from './session-host.js';
import { SessionHostServer } from './session-host-server.js';

const TERMINATE_GRACE_MS = 3000;

async function main(): Promise<void> {
  const dirArg = process.argv[2];
  if (!dirArg) {
    process.stderr.write('usage: session-host-main <session-dir>\n');
    process.exit(2);
  }
  const paths = sessionPaths(resolve(dirArg));
  // A hangup of whatever terminal started ojd must not end the agent.
  process.on('SIGHUP', () => undefined);

  let host: SessionHost | undefined;
  let server: SessionHostServer | undefined;
  let finishing: Promise<never> | undefined;

  const finish = (code: number): Promise<never> => {
    finishing ??= (async () => {
      try {
        await server?.close();
      } finally {
        host?.dispose();
        process.exit(code);
      }
    })();
    return finishing;
  };

  const die = (error: unknown): void => {
    recordFatal(paths, error);
    if (host?.alive) host.kill('SIGKILL');
    process.exit(1);
  };
  process.on('uncaughtException', die);
  process.on('unhandledRejection', die);

  try {
    writeFileSync(paths.pid, `${process.pid}\n`, { mode: 0o600 });
    const spec = readSpec(paths);
    process.title = `oj-session-host ${spec.id}`;
    host = SessionHost.start(spec, paths);
    server = await SessionHostServer.listen(host, paths.socket, { onShutdownRequested: () => void finish(0) });
    const lingerMs = spec.lingerMs;
    void host.exited().then(() => {
      setTimeout(() => void finish(0), lingerMs);
    });
  } catch (error) {
    die(error);
    return;
  }

  const terminate = (): void => {
    const h = host;
    if (!h?.alive) {
      void finish(0);
      return;
    }
    h.kill('SIGTERM');
    const escalate = setTimeout(() => h.kill('SIGKILL'), TERMINATE_GRACE_MS);
    void h.exited().then(() => {
      clearTimeout(escalate);
      void finish(0);
    });
  };
  process.on('SIGTERM', terminate);
  process.on('SIGINT', terminate);
}

function readSpec(paths: SessionPaths): SessionHostMethods.SessionSpec {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(paths.spec, 'utf8'));
  } catch (error) {
    throw new Error(`cannot read ${paths.spec}: ${(error as Error).message}`, { cause: error });
  }
  const parsed = SessionHostMethods.sessionSpecSchema().safeParse(raw);
  if (!parsed.success) {
    const issues = parsed.error.issues.map((i) => `${i.path.join('.') || 'spec'}: ${i.message}`);
    throw new Error(`invalid ${paths.spec}: ${issues.join('; ')}`);
  }
  return parsed.data;
}

function recordFatal(paths: SessionPaths, error: unknown): void {
  const message = error instanceof Error ? error.message : String(error);
  try {
    appendFileSync(paths.err, `${message}\n`, { mode: 0o600 });
  } catch {
    /* nowhere left to report it */
  }
}

void main();
