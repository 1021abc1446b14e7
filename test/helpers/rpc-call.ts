/**
 * The tests' JSON-RPC client: the protocol's JsonRpcConnection, the class oj
 * and ojd use, typed by the method descriptors (`rpc.call(PipelineMethods.Show,
 * { id })` resolves to what pipelines.show returns; an error answer rejects
 * with an OjError that keeps its code and data). Polling through one
 * connection is far cheaper than starting `oj` for every probe, so tests keep
 * the real CLI for what they assert about it. What a hostile client sends
 * (bytes that are not JSON-RPC) goes through RawClient (ojd-harness.ts).
 */
import { JsonRpcConnection, openSocket, type CommandMethods, type PipelineInfo, type ResultOf } from '@oj/protocol';

export class Rpc extends JsonRpcConnection {
  /**
   * Answers may be any size; requests too (ojd's line limit is what a test
   * checks, not this client's).
   */
  static override async connect(path: string): Promise<Rpc> {
    return new Rpc(await openSocket(path), { maxLineBytes: Number.MAX_SAFE_INTEGER, maxRequestBytes: Infinity });
  }
}

type RunResult = ResultOf<typeof CommandMethods.Run>;

/** The pipeline a commands.run started (fails the test when the command ran a shell instead). */
export function startedPipeline(r: RunResult): PipelineInfo {
  if (r.kind !== 'pipeline') throw new Error(`expected the command to start a pipeline, it ran a shell (exit ${r.exitCode})`);
  return r.pipeline;
}

/** The exit of a shell command commands.run ran (fails the test when it started a pipeline instead). */
export function shellExit(r: RunResult): { exitCode: number; signal: string | null } {
  if (r.kind !== 'shell') throw new Error(`expected the command to run a shell, it started pipeline ${r.pipeline.id}`);
  return r;
}
