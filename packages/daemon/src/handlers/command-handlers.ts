/** commands.* methods: listing and running a project's runbook commands (commands/command-service.ts). */
import { CommandMethods } from '@oj/protocol';
import type { CommandService } from '../commands/command-service.js';
import type { RpcRouter } from '../rpc/rpc-router.js';
import { toPipelineInfo } from '../storage/pipeline-store.js';

export function registerCommandHandlers(router: RpcRouter, commands: CommandService): void {
  router.handle(CommandMethods.List, (p) => commands.list(p.project));

  router.handle(CommandMethods.Run, async (p, ctx) => {
    const outcome = await commands.run(p, {
      // The client's pace sets the child's: while it has much unread, the child's output is held
      // back (it blocks on its pipe) instead of piling up here.
      output: (stream, data) => {
        ctx.notify(CommandMethods.Output, { stream, data });
        return ctx.blocked ? ctx.writable() : undefined;
      },
      onClose: (cb) => ctx.onClose(cb),
    });
    return outcome.kind === 'pipeline' ? { kind: 'pipeline' as const, pipeline: toPipelineInfo(outcome.pipeline) } : outcome;
  });
}
