/**
 * The code-context finder of a long-running process (ojd): the bash parser
 * runs in a child (`node code-context-process.js`), one per batch, and its
 * memory goes when it exits. A child that cannot start, fails or answers
 * anything but one answer per shell is an error: nothing passes unchecked.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { CodeContextRefusal } from './shell-code-context.js';
import type { NeutralShell } from './shell-neutral.js';

const SCRIPT = fileURLToPath(new URL('./code-context-process.js', import.meta.url));
/**
 * V8 compiles the parser's WebAssembly with its baseline compiler only: a
 * process that compiled it with the optimizing one too waits ~0.5 s for that
 * at exit, and one batch of parses is over long before it would pay off.
 */
const NODE_FLAGS = ['--liftoff-only'];
/** A batch is a project's templates: seconds would mean something is wrong. */
const TIMEOUT_MS = 60_000;

export function findCodeContextsInChild(shells: readonly NeutralShell[]): Array<CodeContextRefusal | null> {
  const run = spawnSync(process.execPath, [...NODE_FLAGS, SCRIPT], {
    input: JSON.stringify(shells),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
    timeout: TIMEOUT_MS,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const why =
    run.error !== undefined
      ? run.error.message
      : run.status !== 0
        ? `exited with ${run.status ?? run.signal}${run.stderr.trim() === '' ? '' : `: ${run.stderr.trim().split('\n')[0]}`}`
        : null;
  if (why !== null) throw new Error(`the bash parser (${SCRIPT}) failed: ${why}`);
  const answers: unknown = JSON.parse(run.stdout);
  if (!Array.isArray(answers) || answers.length !== shells.length) {
    throw new Error(`the bash parser (${SCRIPT}) gave ${Array.isArray(answers) ? answers.length : 'no'} answers for ${shells.length} shell templates`);
  }
  return answers as Array<CodeContextRefusal | null>;
}
