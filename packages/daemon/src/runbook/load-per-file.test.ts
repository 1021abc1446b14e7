import { describe, expect, it } from 'vitest';
import { buildProjectPerFile, declaredCommands } from './load-per-file.js';
import type { ProjectSources } from './load-project.js';

const root = '/project';
function sources(runbooks: Record<string, string>, config?: string): ProjectSources {
  return {
    root,
    config: config === undefined ? null : { display: '.oj/config.toml', text: config },
    runbooks: Object.entries(runbooks).map(([name, text]) => ({ name, path: `${root}/.oj/runbooks/${name}.toml`, display: `.oj/runbooks/${name}.toml`, text })),
    errors: [],
  };
}
const noFiles = { readText: () => undefined };
const deploy = '[command.deploy]\nargs = "<env>"\nrun = "echo deploying {env}"\n';
const broken = '[command.broken]\nrun = "echo {nope}"\n\n[command.other]\nrun = "true"\n';

describe('buildProjectPerFile', () => {
  it('leaves out a file that does not load and serves the others', () => {
    const r = buildProjectPerFile(sources({ deploy, broken }), new Map(), noFiles);
    if (!r.ok) throw new Error('expected a project');
    expect(r.project.all('command').map((c) => c.name)).toEqual(['deploy']);
    expect(r.problems).toMatchObject([{ runbook: 'broken', outcome: 'left-out', commands: ['broken', 'other'] }]);
    expect(r.problems[0]!.errors[0]!.message).toContain('{nope}');
    expect([...r.loaded.keys()]).toEqual(['deploy']);
  });

  it('keeps the last good version of a file an edit breaks', () => {
    const edited = deploy.replace('{env}', '{envv}');
    const r = buildProjectPerFile(sources({ deploy: edited }), new Map([['deploy', deploy]]), noFiles);
    if (!r.ok) throw new Error('expected a project');
    expect(r.project.command('deploy')?.run).toEqual({ type: 'shell', shell: 'echo deploying {env}' });
    expect(r.problems).toMatchObject([{ runbook: 'deploy', outcome: 'last-good' }]);
    expect(r.loaded.get('deploy')).toBe(deploy);
  });

  it('leaves out a file whose references no longer resolve once another is left out', () => {
    const lib = '[pipeline.build]\n[[pipeline.build.phase]]\nname = "go"\nrun = "make"\n[command.x]\nrun = "{nope}"\n';
    const user = '[command.build]\nrun = { pipeline = "build" }\n';
    const r = buildProjectPerFile(sources({ lib, user, deploy }), new Map(), noFiles);
    if (!r.ok) throw new Error('expected a project');
    expect(r.project.all('command').map((c) => c.name)).toEqual(['deploy']);
    expect(r.problems.map((p) => [p.runbook, p.outcome])).toEqual([
      ['lib', 'left-out'],
      ['user', 'left-out'],
    ]);
    expect(r.problems[1]!.errors[0]!.message).toContain('build');
  });

  it('fails the whole project on config problems', () => {
    const r = buildProjectPerFile(sources({ deploy }, '[pipeline]\nmax_phase_visits = "x"\n'), new Map(), noFiles);
    expect(r.ok).toBe(false);
  });

  it('reads command names even from a file that does not parse', () => {
    expect(declaredCommands('[command.a]\nrun = \n[ command . "b" ]\n[pipeline.c]')).toEqual(['a', 'b']);
  });
});
