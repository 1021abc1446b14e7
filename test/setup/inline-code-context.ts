/**
 * Vitest set-up (vitest.config.ts `setupFiles`): runbooks loaded inside a test
 * process are checked by the bash parser in that process, not in a child per
 * load as ojd and `oj runbook check` do (code-context-decisions.ts): the suite
 * loads thousands of runbooks. The child finder has tests of its own
 * (code-context-child.test.ts), and every e2e test's ojd uses it.
 */
import { useCodeContextFinder } from '../../packages/daemon/src/runbook/code-context-decisions.js';
import { findCodeContextsInline } from '../../packages/daemon/src/runbook/code-context-inline.js';

useCodeContextFinder(findCodeContextsInline);
