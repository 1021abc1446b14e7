/**
 * The parser thread of shell-parser.ts: web-tree-sitter with the bash
 * grammar, answering each request on its port and raising the shared flag
 * that the caller waits on. The tree goes back as plain rows in pre-order.
 * The source is a string (an `eval` worker), so that it runs the same from
 * the compiled daemon, its bundle and the tests.
 */

/** A parse: the text, and the ranges whose spanning node is wanted. */
export interface ParseRequest {
  text: string;
  ranges: [number, number][];
}

/** A node: type, named (1/0), start, end (string indexes), parent row (-1 for the root), field name in the parent. */
export type WireNode = [string, number, number, number, number, string | null];

export type ParseReply = { nodes: WireNode[]; spanning: number[] } | { error: string };

export const PARSER_WORKER_SOURCE = `
const { workerData } = require('node:worker_threads');
const { flag, port, runtime, grammar } = workerData;
const ready = (async () => {
  const { Parser, Language } = await import(runtime);
  await Parser.init();
  const parser = new Parser();
  parser.setLanguage(await Language.load(grammar));
  return parser;
})();
ready.catch(() => {});

function rows(tree, ranges) {
  const nodes = [];
  const index = new Map();
  const cursor = tree.walk();
  const parents = [-1];
  for (;;) {
    const node = cursor.currentNode;
    index.set(node.id, nodes.length);
    nodes.push([cursor.nodeType, cursor.nodeIsNamed ? 1 : 0, cursor.startIndex, cursor.endIndex, parents[parents.length - 1], cursor.currentFieldName ?? null]);
    if (cursor.gotoFirstChild()) {
      parents.push(nodes.length - 1);
      continue;
    }
    while (!cursor.gotoNextSibling()) {
      if (!cursor.gotoParent()) {
        cursor.delete();
        const root = tree.rootNode;
        const spanning = ranges.map(([s, e]) => index.get((root.descendantForIndex(s, e) ?? root).id) ?? 0);
        return { nodes, spanning };
      }
      parents.pop();
    }
  }
}

port.on('message', async (request) => {
  let reply;
  try {
    const parser = await ready;
    const tree = parser.parse(request.text);
    if (tree === null) throw new Error('the bash parser returned no tree');
    try {
      reply = rows(tree, request.ranges);
    } finally {
      tree.delete();
    }
  } catch (err) {
    reply = { error: err && err.message ? err.message : String(err) };
  }
  port.postMessage(reply);
  Atomics.store(flag, 0, 1);
  Atomics.notify(flag, 0);
});
`;
