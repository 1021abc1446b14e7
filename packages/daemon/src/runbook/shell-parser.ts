/**
 * A real bash parser: tree-sitter's bash grammar (npm `tree-sitter-bash`,
 * which ships `tree-sitter-bash.wasm`) run by `web-tree-sitter`.
 *
 * The runbook loader is synchronous (`buildProject`), web-tree-sitter's
 * start is not (its WebAssembly is instantiated through promises), and its
 * runtime and grammar are ~5 MB of memory that an idle daemon, whose
 * runbooks were all checked at load, has no use for. So the parser runs in a
 * worker thread started on the first parse and ended after PARSER_IDLE_MS
 * without one; `parseBash` posts the text to it and blocks (Atomics.wait)
 * until the worker answers with the tree, copied into plain objects
 * (BashNode). Only templates with placeholders are parsed (the others need no
 * code-context check), and each template's check is kept
 * (shell-check.ts), so a worker starts when runbooks are loaded or changed.
 * A parse that cannot be done (the worker does not start, the grammar does
 * not load) throws: the template's check fails, and a runbook whose check
 * has not run does not load.
 */
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import { MessageChannel, Worker, receiveMessageOnPort, type MessagePort } from 'node:worker_threads';
import { PARSER_WORKER_SOURCE, type ParseReply, type ParseRequest, type WireNode } from './shell-parser-worker.js';

/** How long a parser with nothing to parse stays (ms). */
export const PARSER_IDLE_MS = 10_000;
/** How long one parse may take, worker start included, before it counts as failed (ms). */
const PARSE_TIMEOUT_MS = 120_000;

/** A node of a bash syntax tree: what web-tree-sitter's `Node` gives, for what the checks use. */
export class BashNode {
  readonly children: BashNode[] = [];
  /** The field name under which each of `children` stands in this node, or null. */
  private readonly fields: (string | null)[] = [];

  constructor(
    readonly id: number,
    readonly type: string,
    readonly isNamed: boolean,
    readonly startIndex: number,
    readonly endIndex: number,
    readonly parent: BashNode | null,
    private readonly source: string,
  ) {}

  get text(): string {
    return this.source.slice(this.startIndex, this.endIndex);
  }

  get namedChildren(): BashNode[] {
    return this.children.filter((c) => c.isNamed);
  }

  child(index: number): BashNode | null {
    return this.children[index] ?? null;
  }

  childForFieldName(field: string): BashNode | null {
    const at = this.fields.indexOf(field);
    return at === -1 ? null : this.children[at]!;
  }

  childrenForFieldName(field: string): BashNode[] {
    return this.children.filter((_, i) => this.fields[i] === field);
  }

  /** Descendants (not this node) of `type`, in document order. */
  descendantsOfType(type: string): BashNode[] {
    const out: BashNode[] = [];
    const visit = (n: BashNode): void => {
      for (const c of n.children) {
        if (c.type === type) out.push(c);
        visit(c);
      }
    };
    visit(this);
    return out;
  }

  /** @internal Tree building. */
  adopt(child: BashNode, field: string | null): void {
    this.children.push(child);
    this.fields.push(field);
  }
}

/** A parsed text: its root, and for each range asked for, the smallest node spanning it (web-tree-sitter's `descendantForIndex`). */
export interface BashTree {
  root: BashNode;
  spanning: BashNode[];
}

/** Parses `text` as bash; `ranges` are [start, end) indexes whose spanning node is wanted. */
export function parseBash(text: string, ranges: readonly (readonly [number, number])[]): BashTree {
  const request: ParseRequest = { text, ranges: ranges.map(([s, e]) => [s, e]) };
  const reply = parserWorker().call(request);
  if ('error' in reply) throw new Error(`the bash parser failed: ${reply.error}`);
  return treeOf(text, reply.nodes, reply.spanning);
}

function treeOf(text: string, wire: WireNode[], spanning: number[]): BashTree {
  const nodes: BashNode[] = [];
  for (const [i, [type, named, start, end, parent, field]] of wire.entries()) {
    const up = parent === -1 ? null : nodes[parent]!;
    const node = new BashNode(i, type, named === 1, start, end, up, text);
    up?.adopt(node, field);
    nodes.push(node);
  }
  if (nodes.length === 0) throw new Error('the bash parser returned no tree');
  return { root: nodes[0]!, spanning: spanning.map((i) => nodes[i]!) };
}

/** The worker thread and the synchronous call into it. */
class ParserWorker {
  private readonly worker: Worker;
  private readonly port: MessagePort;
  private readonly flag = new Int32Array(new SharedArrayBuffer(4));
  private idle: NodeJS.Timeout | null = null;
  private ended = false;

  constructor(private readonly onEnd: () => void) {
    const require = createRequire(import.meta.url);
    const channel = new MessageChannel();
    this.port = channel.port1;
    this.worker = new Worker(PARSER_WORKER_SOURCE, {
      eval: true,
      workerData: {
        flag: this.flag,
        port: channel.port2,
        runtime: pathToFileURL(require.resolve('web-tree-sitter')).href,
        grammar: require.resolve('tree-sitter-bash/tree-sitter-bash.wasm'),
      },
      transferList: [channel.port2],
      stdout: false,
      stderr: false,
    });
    this.worker.unref();
    this.worker.on('error', () => this.end());
    this.worker.on('exit', () => this.end());
  }

  call(request: ParseRequest): ParseReply {
    if (this.idle !== null) clearTimeout(this.idle);
    Atomics.store(this.flag, 0, 0);
    this.port.postMessage(request);
    const waited = Atomics.wait(this.flag, 0, 0, PARSE_TIMEOUT_MS);
    const message = receiveMessageOnPort(this.port);
    this.idle = setTimeout(() => this.end(), PARSER_IDLE_MS);
    this.idle.unref();
    if (message === undefined) {
      this.end();
      return { error: waited === 'timed-out' ? `no answer within ${PARSE_TIMEOUT_MS / 1000} s` : 'the parser thread ended' };
    }
    return message.message as ParseReply;
  }

  end(): void {
    if (this.ended) return;
    this.ended = true;
    if (this.idle !== null) clearTimeout(this.idle);
    this.idle = null;
    this.onEnd();
    this.port.close();
    void this.worker.terminate();
  }
}

let current: ParserWorker | null = null;

function parserWorker(): ParserWorker {
  if (current === null) {
    const worker: ParserWorker = new ParserWorker(() => {
      if (current === worker) current = null;
    });
    current = worker;
  }
  return current;
}

/** Whether a parser thread is running (tests: it ends when idle). */
export function parserRunning(): boolean {
  return current !== null;
}

/** Ends the parser thread now (tests; the next parse starts another). */
export function endParser(): void {
  current?.end();
}
