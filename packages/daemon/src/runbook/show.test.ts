import { describe, expect, it } from 'vitest';
import { buildProjectFromTexts } from './load-project.js';
import { showPrimitive } from './show.js';

describe('show and list', () => {
  const result = buildProjectFromTexts({
    runbooks: {
      main: '[command.deploy]\ndescription = "Ship it."\nargs = "<env> [--tag <v>]"\ndefaults = { tag = "latest" }\nrun = "deploy {env} {tag}"\n[semaphore.s]\nmax = 2\n[monitor.m]\naction = "echo {id}\\nsecond line"\n',
    },
  });
  if (!result.ok) throw new Error('load failed');
  const project = result.project;

  it('lists primitives with one-line summaries', () => {
    expect(project.list()).toEqual([
      { id: 'main.command.deploy', file: 'main', kind: 'command', name: 'deploy', summary: 'oj run deploy <env> [--tag <v>]' },
      { id: 'main.semaphore.s', file: 'main', kind: 'semaphore', name: 's', summary: 'max 2' },
      { id: 'main.monitor.m', file: 'main', kind: 'monitor', name: 'm', summary: 'action: echo {id} ...' },
    ]);
  });

  it('shows a JSON definition with defaults and, for commands, usage', () => {
    const shown = showPrimitive(project.command('deploy')!);
    expect(shown).toMatchObject({ id: 'main.command.deploy', kind: 'command', args: { defaults: { tag: 'latest' } } });
    expect(shown['usage']).toContain('Usage: oj run deploy <env> [--tag <v>]');
    expect(showPrimitive(project.semaphore('s')!)).toMatchObject({ slot_heartbeat: { text: '1m', ms: 60_000 }, on_orphan: [{ text: 'reclaim', builtin: true }] });
  });
});
