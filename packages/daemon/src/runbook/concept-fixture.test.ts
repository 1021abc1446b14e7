/**
 * The concept document's examples, combined into runbook files under
 * test/fixtures/runbooks/concept, must load as written.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { bindArgs } from './arg-bind.js';
import { formatRunbookErrors } from './runbook-error.js';
import { renderAgent } from './agent-prompt.js';
import { pipelineContext, bindItemToInputs } from './interpolation-context.js';
import { loadProject, loadProjectSync } from './load-project.js';
import type { Project } from './project.js';
import { interpolateShell } from './shell-interpolate.js';
import { argsLayer, createContext } from './interpolation-context.js';

const root = fileURLToPath(new URL('../../../../test/fixtures/runbooks/concept', import.meta.url));

function load(): Project {
  const result = loadProjectSync(root);
  if (!result.ok) throw new Error(formatRunbookErrors(result.errors));
  return result.project;
}

describe('concept document runbooks', () => {
  it('load without errors (sync and async agree)', async () => {
    const sync = loadProjectSync(root);
    expect(sync.ok ? [] : formatRunbookErrors(sync.errors)).toEqual([]);
    const async = await loadProject(root);
    expect(async.ok).toBe(true);
    if (sync.ok && async.ok) expect(async.project.toJSON()).toEqual(sync.project.toJSON());
  });

  it('lists every primitive by file and kind', () => {
    const list = load().list();
    expect(list.map((p) => p.id)).toContain('bugfix.worker.bugfix');
    expect(list.map((p) => p.file).filter((f, i, all) => all.indexOf(f) === i)).toEqual([
      'bugfix',
      'build',
      'deploy',
      'janitor',
      'watchdog',
    ]);
    expect(list.find((p) => p.id === 'bugfix.pipeline.fix')?.summary).toBe('setup -> fix -> merge -> close');
    expect(list.find((p) => p.id === 'watchdog.cron.watchdog')?.summary).toBe('every 30s, agent_idle, phase_timeout, stale_locks');
  });

  it('resolves references within the file and across files', () => {
    const project = load();
    const worker = project.worker('bugfix')!;
    expect(worker.handler).toEqual({ ref: 'pipeline.fix', id: 'bugfix.pipeline.fix' });
    expect(worker.queue.id).toBe('bugfix.queue.bugs');
    const fix = project.pipeline('fix')!;
    const merge = fix.phase.find((p) => p.name === 'merge')!;
    expect(merge.run).toEqual({ type: 'strategy', strategy: { ref: 'merge', id: 'build.strategy.merge' } });
    expect(merge.lock?.id).toBe('build.lock.main_branch');
    const plan = project.pipeline('build')!.phase.find((p) => p.name === 'plan')!;
    expect(plan.semaphore).toEqual({ ref: 'bugfix.agents', id: 'bugfix.semaphore.agents' });
    const watchdog = project.cron('watchdog')!;
    expect(watchdog.monitors.map((m) => m.id)).toEqual([
      'watchdog.monitor.agent_idle',
      'watchdog.monitor.phase_timeout',
      'janitor.monitor.stale_locks',
    ]);
  });

  it('resolves recovery chains to runbook actions first, else built-ins', () => {
    const project = load();
    const agent = project.agent('fix')!;
    expect(agent.on_stuck).toEqual([
      { text: 'nudge', action: 'nudge', max: null, id: 'watchdog.action.nudge', builtin: false },
      { text: 'restart', action: 'restart', max: null, id: 'watchdog.action.restart', builtin: false },
    ]);
    expect(agent.on_timeout).toEqual([{ text: 'escalate', action: 'escalate', max: null, id: null, builtin: true }]);
    const idle = project.monitor('agent_idle')!;
    expect(idle.response?.map((s) => [s.action, s.max, s.id])).toEqual([
      ['nudge', null, 'watchdog.action.nudge'],
      ['restart', 2, 'watchdog.action.restart'],
      ['escalate', null, null],
    ]);
    const fixPhase = project.pipeline('fix')!.phase.find((p) => p.name === 'fix')!;
    expect(fixPhase.on_fail).toEqual({ type: 'chain', chain: [{ text: 'escalate', action: 'escalate', max: null, id: null, builtin: true }] });
    const buildMerge = project.pipeline('build')!.phase.find((p) => p.name === 'merge')!;
    expect(buildMerge.on_fail).toEqual({ type: 'phase', phase: 'execute' });
  });

  it('fills documented defaults', () => {
    const project = load();
    const agent = project.agent('execution')!;
    expect(agent.command).toBe('claude');
    expect(agent.heartbeat).toBe('output');
    expect(agent.idle_timeout).toEqual({ text: '5m', ms: 300_000 });
    expect(agent.prompt_arg).toEqual({ type: 'last' });
    expect(agent.prompt_path).toBe(`${root}/templates/execute.md`);
    const queue = project.queue('bugs')!;
    expect(queue.order.terms).toEqual([{ field: 'priority', direction: 'asc' }]);
    expect(queue.dead.retention.ms).toBe(7 * 86_400_000);
    expect(project.queue('builds')!.max_retries).toBe(3);
    const blocked = project.pipeline('build')!.phase[0]!;
    expect(blocked).toMatchObject({ name: 'blocked', run: { type: 'none' }, next: 'plan', on_fail: null, timeout: null });
    expect(project.pipeline('build')!.phase.at(-1)!.next).toBeNull();
    expect(project.pipeline('build')!.max_phase_visits).toBe(5);
    expect(project.guard('after_merged')!.retry).toEqual({ max: 0, interval: { text: '10s', ms: 10_000 } });
    expect(project.lock('main_branch')!.on_stale.map((s) => s.text)).toEqual(['release', 'rollback', 'escalate']);
  });

  it('merges file-level [events] hooks after a primitive\'s own', () => {
    const project = load();
    const build = project.pipeline('build')!;
    expect(project.hooks(build, 'on_fail')).toEqual(['oj emit build:failed --id {name}']);
    expect(project.hooks(build, 'on_complete')).toEqual(['oj emit pipeline:complete --id {name}']);
    expect(project.hooks(project.pipeline('fix')!, 'on_complete')).toEqual([]);
  });

  it('binds the deploy example exactly as documented', () => {
    const deploy = load().command('deploy')!;
    const bound = bindArgs(deploy.args, ['prod', '-t', 'v1.2', '--force', 'api', 'worker']);
    expect(bound).toEqual({ ok: true, values: { env: 'prod', tag: 'v1.2', force: true, targets: ['api', 'worker'] } });
    const run = deploy.run.type === 'shell' ? deploy.run.shell : '';
    const values = bound.ok ? bound.values : {};
    expect(interpolateShell(run, createContext(argsLayer(values)))).toBe(
      "./scripts/deploy.sh --env 'prod' --tag 'v1.2' --force='true' 'api' 'worker'",
    );
  });

  it('binds `oj run build auth "Add authentication"` and `name=` style alike', () => {
    const build = load().command('build')!;
    expect(bindArgs(build.args, ['auth', 'Add authentication'])).toEqual({
      ok: true,
      values: { name: 'auth', prompt: 'Add authentication' },
    });
    expect(bindArgs(build.args, ['name=auth', 'prompt=Add authentication'])).toEqual({
      ok: true,
      values: { name: 'auth', prompt: 'Add authentication' },
    });
  });

  it('renders the execution prompt template with its inputs', async () => {
    const project = load();
    const agent = project.agent('execution')!;
    const commands: string[] = [];
    const rendered = await renderAgent(agent, pipelineContext({ inputs: { name: 'auth' }, runtime: { workspace: '/ws/auth' } }), {
      projectRoot: root,
      executor: async (command) => {
        commands.push(command);
        if (command.startsWith('wk list')) return { stdout: '[{"id":"a1","title":"Login form"}]\n', exitCode: 0 };
        return { stdout: '  Step 1: build it.\n', exitCode: 0 };
      },
    });
    expect(commands).toEqual(["wk list -l plan:'auth' --json", "cat plans/'auth'.md"]);
    expect(rendered.cwd).toBe('/ws/auth');
    expect(rendered.prompt).toContain('# auth\n');
    expect(rendered.prompt).toContain('- [ ] `a1` - Login form\n');
    expect(rendered.prompt).toContain('Step 1: build it.');
    expect(rendered.prompt).toContain('Work in `/ws/auth/`');
  });

  it('renders the fix agent prompt from a queue item', async () => {
    const project = load();
    const agent = project.agent('fix')!;
    const inputs = bindItemToInputs(project.pipeline('fix')!.inputs, { id: 'b-7', description: 'Crash on {{save}}' });
    const rendered = await renderAgent(agent, pipelineContext({ inputs, runtime: { workspace: '/ws/b7' } }), {
      projectRoot: root,
      executor: async () => ({ stdout: '', exitCode: 0 }),
    });
    expect(rendered.prompt).toBe('Fix the bug: Crash on {{save}}');
    expect(rendered.cwd).toBe('/ws/b7');
  });
});
