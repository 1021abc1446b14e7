/** oj workspace list|show|create|delete */
import { WorkspaceMethods, type WorkspaceInfo } from '@oj/protocol/client';
import type { Argv } from 'yargs';
import { UsageError, printJson, println } from '../output/print.js';
import { formatTable } from '../output/table.js';
import { currentProject, withDaemon } from './run-command.js';

function project(): string {
  const p = currentProject();
  if (!p) throw new UsageError('not in an oj project (no .oj/ here or above)');
  return p;
}

const row = (w: WorkspaceInfo) => [w.name, w.branch ?? '-', w.pipelines.join(',') || '-', w.managed ? 'ojd' : 'project', w.path];

export function workspaceCommands(y: Argv): Argv {
  return y
    .command(['list', 'ls'], "The project's worktrees", (a) => a.option('json', { type: 'boolean' }), (argv) =>
      withDaemon(async (conn) => {
        const { workspaces } = await conn.call(WorkspaceMethods.List, { project: project() });
        if (argv.json) return printJson(workspaces);
        if (!workspaces.length) return println('no workspaces');
        process.stdout.write(formatTable(['name', 'branch', 'pipelines', 'owner', 'path'], workspaces.map(row)));
      }),
    )
    .command('show <name>', 'One workspace', (a) => a.positional('name', { type: 'string', demandOption: true }).option('json', { type: 'boolean' }), (argv) =>
      withDaemon(async (conn) => {
        const { workspace } = await conn.call(WorkspaceMethods.Show, { project: project(), name: argv.name });
        if (argv.json) return printJson(workspace);
        process.stdout.write(formatTable(['name', 'branch', 'pipelines', 'owner', 'path'], [row(workspace)]));
      }),
    )
    .command(
      'create <name>',
      'Create a worktree (under the state dir) on a new branch',
      (a) => a.positional('name', { type: 'string', demandOption: true }).option('branch', { type: 'string', describe: 'default: oj/<name>' }),
      (argv) =>
        withDaemon(async (conn) => {
          const { workspace } = await conn.call(WorkspaceMethods.Create, { project: project(), name: argv.name, ...(argv.branch ? { branch: argv.branch } : {}) });
          println(workspace.path);
        }),
    )
    .command(
      'delete <name>',
      'Remove a worktree (refused while an active pipeline uses it)',
      (a) => a.positional('name', { type: 'string', demandOption: true }).option('force', { type: 'boolean' }),
      (argv) =>
        withDaemon(async (conn) => {
          const r = await conn.call(WorkspaceMethods.Delete, { project: project(), name: argv.name, ...(argv.force ? { force: true } : {}) });
          println(`deleted ${r.deleted}`);
        }),
    )
    .demandCommand(1, 'say which workspace command: list, show, create or delete');
}
