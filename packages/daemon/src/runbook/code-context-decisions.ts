/**
 * Which placeholders of a shell template stand where bash evaluates a value
 * as code (shell-code-context.ts), decided by a `CodeContextFinder` and kept
 * per template.
 *
 * The finder parses with a real bash parser (tree-sitter's bash grammar in
 * WebAssembly), which costs ~6 MB that a process keeps for good once it has
 * loaded it. The daemon must not keep that for what it needs only when
 * runbooks (re)load, so the default finder runs the parser in a short-lived
 * child process (code-context-child.ts); code-context-inline.ts parses in
 * this process (the tests use it: `useCodeContextFinder`).
 *
 * Loading a project checks every template, and one child per template would
 * be slow: `decidingCodeContexts(build)` runs the build once collecting the
 * templates not decided yet (passing them provisionally), decides them all
 * with one finder call, and runs the build again, which then finds every
 * answer known. Outside such a build an unknown template is decided on its
 * own (the interpolation of a template no load has checked).
 *
 * A finder that fails throws: a template is never passed unchecked.
 */
import type { CodeContextRefusal } from './shell-code-context.js';
import { findCodeContextsInChild } from './code-context-child.js';
import type { NeutralShell } from './shell-neutral.js';

/** Decides a batch of shells: one answer per shell, in order (null: no placeholder stands in a code context). */
export type CodeContextFinder = (shells: readonly NeutralShell[]) => Array<CodeContextRefusal | null>;

/** Templates decided, at most this many (the oldest go first; one forgotten is decided again when met). */
const DECIDED_LIMIT = 5000;

let finder: CodeContextFinder = findCodeContextsInChild;
const decided = new Map<string, CodeContextRefusal | null>();
/** Set while `decidingCodeContexts` runs its first pass: the templates met and not decided. */
let collecting: Map<string, NeutralShell> | null = null;

/** Replaces the finder (and forgets what the previous one decided). */
export function useCodeContextFinder(next: CodeContextFinder): void {
  finder = next;
  decided.clear();
}

/**
 * The code-context refusal of `template` (whose neutral form is `shell`), or
 * null. `undefined` while a collecting pass runs and it is not decided yet:
 * the caller passes it for now and must not remember that answer.
 */
export function codeContextOf(template: string, shell: NeutralShell): CodeContextRefusal | null | undefined {
  if (shell.tokens.length === 0) return null;
  if (decided.has(template)) return decided.get(template) ?? null;
  if (collecting !== null) {
    collecting.set(template, shell);
    return undefined;
  }
  decide(new Map([[template, shell]]));
  return decided.get(template) ?? null;
}

/** Runs `build` with every template it checks decided by one finder call (see the file comment). */
export function decidingCodeContexts<T>(build: () => T): T {
  if (collecting !== null) return build();
  const pending = new Map<string, NeutralShell>();
  collecting = pending;
  let first: T;
  try {
    first = build();
  } finally {
    collecting = null;
  }
  if (pending.size === 0) return first;
  decide(pending);
  return build();
}

function decide(shells: Map<string, NeutralShell>): void {
  const templates = [...shells.keys()];
  const answers = finder([...shells.values()]);
  if (answers.length !== templates.length) {
    throw new Error(`the bash parser answered ${answers.length} of ${templates.length} shell templates`);
  }
  templates.forEach((template, i) => {
    if (decided.size >= DECIDED_LIMIT) decided.delete(decided.keys().next().value!);
    decided.set(template, answers[i] ?? null);
  });
}
