import { describe, expect, it } from 'vitest';
import { buildProjectFromTexts } from './load-project.js';
import { showPrimitive } from './show.js';

describe('show and list', () => {
  const result = buildProjectFromTexts({
    runbooks: {
      main: '[command.deploy]\ndescription = "Ship it."\nargs = "<env> [--tag <v>]"\ndefaults = { tag = "latest" }\nrun = "deploy {env} {tag}"\n[semaphore.s]\nmax = 2\n[monitor.m]\naction = "echo {id}\\nsecond line"\n' +
        '\n# Say hello.\n# To the world.\n[command.hello]\nrun = "echo hi"\n[command.bare]\nargs = "<x>"\nrun = "echo {x}"\n',
    },
  });
  if (!result.ok) throw new Error('load failed');
  const project = result.project;

  it('lists primitives with one-line summaries: a command by its description (or the comment above it), else its usage', () => {
    expect(project.list()).toEqual([
      { id: 'main.command.deploy', file: 'main', kind: 'command', name: 'deploy', summary: 'Ship it.' },
      { id: 'main.command.hello', file: 'main', kind: 'command', name: 'hello', summary: 'Say hello. To the world.' },
      { id: 'main.command.bare', file: 'main', kind: 'command', name: 'bare', summary: 'oj run bare <x>' },
      { id: 'main.semaphore.s', file: 'main', kind: 'semaphore', name: 's', summary: 'max 2' },
      { id: 'main.monitor.m', file: 'main', kind: 'monitor', name: 'm', summary: 'action: echo {id} ...' },
    ]);
  });

  it('shows the comment above a command as its description', () => {
    const shown = showPrimitive(project.command('hello')!);
    expect(shown).toMatchObject({ description: 'Say hello. To the world.' });
    expect(shown['usage']).toBe('Usage: oj run hello\n\nSay hello. To the world.');
  });

  it('shows a JSON definition with defaults and, for commands, usage', () => {
    const shown = showPrimitive(project.command('deploy')!);
    expect(shown).toMatchObject({ id: 'main.command.deploy', kind: 'command', args: { defaults: { tag: 'latest' } } });
    expect(shown['usage']).toContain('Usage: oj run deploy <env> [--tag <v>]');
    expect(showPrimitive(project.semaphore('s')!)).toMatchObject({ slot_heartbeat: { text: '1m', ms: 60_000 }, on_orphan: [{ text: 'reclaim', builtin: true }] });
  });
});
