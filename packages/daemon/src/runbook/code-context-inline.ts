/**
 * The code-context finder that parses in this process: the bash parser's
 * WebAssembly is loaded (top-level await in shell-parser.ts) when this module
 * is imported and stays for the life of the process. For short-lived
 * processes that load many runbooks (the test suite): `useCodeContextFinder(findCodeContextsInline)`.
 */
import type { CodeContextFinder } from './code-context-decisions.js';
import { findCodeContext } from './shell-code-context.js';

export const findCodeContextsInline: CodeContextFinder = (shells) => shells.map((shell) => findCodeContext(shell));
