/**
 * A real bash parser: tree-sitter's bash grammar (npm `tree-sitter-bash`,
 * which ships `tree-sitter-bash.wasm`) run by `web-tree-sitter`.
 *
 * Why this one: the runbook loader is synchronous (`buildProject`), and
 * web-tree-sitter parses synchronously once its WASM runtime and the grammar
 * are loaded. (sh-syntax, mvdan/sh in WASM, is async for every parse and its
 * JSON tree drops the node kinds of commands, which this check needs.)
 *
 * Loading the WASM is async, so it happens here, once, in a top-level await:
 * a module that imports this one (the runbook loader, `ojd` at start, and
 * `oj runbook check` through its `import('@oj/daemon/runbook')`) is not
 * evaluated until the grammar is ready. No code can therefore reach
 * `parseBash` before the parser is initialised: the await is part of the
 * module graph, not a call someone could forget.
 */
import { createRequire } from 'node:module';
import { Language, Parser, type Node } from 'web-tree-sitter';

const require = createRequire(import.meta.url);

await Parser.init();
const bash = await Language.load(require.resolve('tree-sitter-bash/tree-sitter-bash.wasm'));
const parser = new Parser();
parser.setLanguage(bash);

export type BashNode = Node;

/** Parse `text` as bash and hand the root node to `visit`; the tree is freed after. */
export function withBashTree<T>(text: string, visit: (root: BashNode) => T): T {
  const tree = parser.parse(text);
  if (tree === null) throw new Error('the bash parser returned no tree');
  try {
    return visit(tree.rootNode);
  } finally {
    tree.delete();
  }
}
