/** Each kind: its fields, documented defaults and its own checks. */
import { describe, expect, it } from 'vitest';
import { buildProjectFromTexts } from './load-project.js';
import type { Project } from './project.js';

function load(text: string, extra: Record<string, string> = {}, files: Record<string, string> = {}): Project {
  const result = buildProjectFromTexts({ runbooks: { main: text, ...extra }, files });
  if (!result.ok) throw new Error(result.errors.map((e) => `${e.field ?? ''}: ${e.message}`).join('\n'));
  return result.project;
}

/** `field: message (hint)` for each problem. */
function problems(text: string, extra: Record<string, string> = {}): string[] {
  const result = buildProjectFromTexts({ runbooks: { main: text, ...extra } });
  if (result.ok) return [];
  return result.errors.map((e) => `${e.at ? `${e.at} ` : ''}${e.field ?? '-'}: ${e.message}${e.hint ? ` (${e.hint})` : ''}`);
}

const PIPE = '[pipeline.p]\ninputs = ["name"]\n[[pipeline.p.phase]]\nname = "only"\nrun = "echo {name}"\n';

describe('command', () => {
  it('accepts a shell run or a pipeline run', () => {
    const p = load(`[command.a]\nrun = "echo hi"\n[command.b]\nargs = "<name>"\nrun = { pipeline = "p" }\n${PIPE}`);
    expect(p.command('a')).toMatchObject({ description: '', run: { type: 'shell', shell: 'echo hi' }, args: { text: '' } });
    expect(p.command('b')!.run).toEqual({ type: 'pipeline', pipeline: { ref: 'p', id: 'main.pipeline.p' } });
  });

  it('requires run and checks its shape', () => {
    expect(problems('[command.a]\nargs = "<x>"')).toEqual(['run: missing required field (a shell command or { pipeline = "name" })']);
    expect(problems('[command.a]\nrun = { agent = "x" }')).toEqual([
      'run.agent: unknown field "agent" (the fields of "run" are: pipeline)',
      'run.pipeline: missing required field (a string)',
    ]);
    expect(problems('[command.a]\nrun = 3')).toEqual(['run: expected a shell command or { pipeline = "name" }, got the integer 3']);
  });

  it('checks placeholders in run against the arguments', () => {
    expect(problems('[command.a]\nargs = "<name> [--tag <t>]"\nrun = "echo {name} {tag} {project_root} {nme}"')).toEqual([
      'run: unknown placeholder {nme} (did you mean "name"?)',
    ]);
  });

  it('requires the arguments a pipeline needs', () => {
    expect(problems(`[command.a]\nargs = "<other>"\nrun = { pipeline = "p" }\n${PIPE}`)).toEqual([
      'run.pipeline: pipeline "p" needs input "name", which command a does not supply (declare an argument "name" in args, or give the pipeline a default for it)',
    ]);
    expect(problems(`[command.a]\nrun = { pipeline = "p" }\n${PIPE.replace('inputs = ["name"]', 'inputs = ["name"]\ndefaults = { name = "x" }')}`)).toEqual([]);
  });
});

describe('worker', () => {
  const base = `[queue.q]\n${PIPE}`;
  it('fills defaults', () => {
    expect(load(`[worker.w]\nqueue = "q"\nhandler = "p"\n${base}`).worker('w')).toMatchObject({
      concurrency: 1,
      idle_action: { type: 'wait', duration: { text: '30s', ms: 30_000 } },
      wake_on: [],
      events: {},
      handler: { ref: 'p', id: 'main.pipeline.p' },
    });
  });

  it('parses idle_action and wake_on', () => {
    const w = load(`[worker.w]\nqueue = "q"\nhandler = "pipeline.p"\nidle_action = "stop"\nwake_on = "bug:*"\n[worker.w.events]\non_idle = "echo idle"\n${base}`).worker('w')!;
    expect(w.idle_action).toEqual({ type: 'stop' });
    expect(w.wake_on).toEqual(['bug:*']);
    expect(w.events).toEqual({ on_idle: 'echo idle' });
  });

  it('reports bad fields', () => {
    expect(problems(`[worker.w]\nqueue = "q"\nhandler = "agent.p"\nconcurrency = 0\nidle_action = "wait:soon"\nwake_on = ["has space"]\n${base}`)).toEqual([
      'handler: "agent.p" names a agent, but a pipeline is needed here',
      'concurrency: must be at least 1, got 0',
      'idle_action: bad duration in "wait:soon": "soon" is not a duration (durations look like 500ms, 30s, 5m, 4h, 7d or 1h30m)',
      'wake_on[0]: "has space" is not an event pattern (patterns look like "bug:created" or "pipeline:{after}:merged")',
    ]);
    expect(problems('[worker.w]')).toEqual(['queue: missing required field (a string)', 'handler: missing required field (a string)']);
  });
});

describe('cron', () => {
  it('takes monitors and/or a run', () => {
    const p = load('[cron.c]\ninterval = "1m"\nrun = "cleanup"\n[cron.d]\ninterval = "5m"\nmonitors = "m"\n[monitor.m]\naction = "x"');
    expect(p.cron('c')).toMatchObject({ interval: { ms: 60_000 }, monitors: [], run: { type: 'shell', shell: 'cleanup' } });
    expect(p.cron('d')!.monitors).toEqual([{ ref: 'm', id: 'main.monitor.m' }]);
  });

  it('needs an interval or a schedule, and something to do', () => {
    expect(problems('[cron.c]')).toEqual([
      '-: a cron needs interval or schedule (e.g. interval = "1h", or schedule = "0 9 * * 1-5" (with timezone = "Europe/Paris"))',
      '-: a cron needs monitors, run, or both (e.g. monitors = ["stale_locks"] or run = { pipeline = "cleanup" })',
    ]);
  });

  it('refuses an interval shorter than 1s, naming the field, with a hint', () => {
    const hint = 'a cron ticks at most once a second; for work that reacts at once, use a worker with wake_on, or events';
    expect(problems('[cron.c]\ninterval = "0s"\nrun = "x"')).toEqual([`interval: "0s" is shorter than the minimum of 1s (${hint})`]);
    expect(problems('[cron.c]\ninterval = "1ms"\nrun = "x"')).toEqual([`interval: "1ms" is shorter than the minimum of 1s (${hint})`]);
    expect(problems('[cron.c]\ninterval = "999ms"\nrun = "x"')).toEqual([`interval: "999ms" is shorter than the minimum of 1s (${hint})`]);
    expect(load('[cron.c]\ninterval = "1s"\nrun = "x"').cron('c')!.interval!.ms).toBe(1000);
  });

  it('cannot run a pipeline that needs inputs', () => {
    expect(problems(`[cron.c]\ninterval = "1m"\nrun = { pipeline = "p" }\n${PIPE}`)).toEqual([
      'run.pipeline: pipeline "p" needs input "name", which cron c does not supply (give pipeline p a default for "name")',
    ]);
  });
});

describe('queue', () => {
  it('fills defaults', () => {
    expect(load('[queue.q]').queue('q')).toMatchObject({
      source: null,
      order: { text: 'created_at ASC', terms: [{ field: 'created_at', direction: 'asc' }] },
      visibility_timeout: { text: '30m', ms: 1_800_000 },
      max_retries: 3,
      on_exhaust: [{ action: 'dead', builtin: true }],
      dead: { retention: { text: '7d' } },
    });
  });

  it('parses order terms', () => {
    expect(load('[queue.q]\norder = "priority DESC, created_at asc, item.rank"').queue('q')!.order.terms).toEqual([
      { field: 'priority', direction: 'desc' },
      { field: 'created_at', direction: 'asc' },
      { field: 'item.rank', direction: 'asc' },
    ]);
    expect(problems('[queue.q]\norder = "priority sideways"')).toEqual([
      'order: "priority sideways" is not an order term (order is a comma-separated list of item fields, each optionally ASC or DESC)',
    ]);
  });

  it('checks the dead table', () => {
    expect(problems('[queue.q]\n[queue.q.dead]\nretention = "forever"\nkeep = 1')).toEqual([
      'dead.retention: bad duration: "forever" is not a duration (durations look like 500ms, 30s, 5m, 4h, 7d or 1h30m)',
      'dead.keep: unknown field "keep" (the fields of "dead" are: retention)',
    ]);
    expect(problems('[queue.q]\nmax_retries = -1')).toEqual(['max_retries: must be at least 0, got -1']);
  });
});

describe('pipeline', () => {
  it('fills phase defaults and next in file order', () => {
    const p = load('[pipeline.p]\n[[pipeline.p.phase]]\nname = "a"\nrun = "x"\n[[pipeline.p.phase]]\nname = "b"\n').pipeline('p')!;
    expect(p).toMatchObject({ inputs: [], defaults: {}, events: {}, max_phase_visits: 5 });
    expect(p.phase).toEqual([
      { name: 'a', index: 0, run: { type: 'shell', shell: 'x' }, pre: [], post: [], lock: null, semaphore: null, next: 'b', on_fail: null, cwd: null, timeout: null },
      { name: 'b', index: 1, run: { type: 'none' }, pre: [], post: [], lock: null, semaphore: null, next: null, on_fail: null, cwd: null, timeout: null },
    ]);
  });

  it('reads agent = "x" as run = { agent = "x" }, and strategies likewise', () => {
    const text = '[agent.x]\n[strategy.s]\n[[strategy.s.attempt]]\nname = "one"\nrun = "true"\n[pipeline.p]\n[[pipeline.p.phase]]\nname = "a"\nagent = "x"\n[[pipeline.p.phase]]\nname = "b"\nrun = { agent = "x" }\n[[pipeline.p.phase]]\nname = "c"\nstrategy = "s"\n[[pipeline.p.phase]]\nname = "d"\nrun = { strategy = "s" }\n';
    const phases = load(text).pipeline('p')!.phase;
    expect(phases[0]!.run).toEqual(phases[1]!.run);
    expect(phases[0]!.run).toEqual({ type: 'agent', agent: { ref: 'x', id: 'main.agent.x' } });
    expect(phases[2]!.run).toEqual(phases[3]!.run);
  });

  it('distinguishes an on_fail phase jump from a chain', () => {
    const p = load('[pipeline.p]\n[[pipeline.p.phase]]\nname = "a"\non_fail = "b"\n[[pipeline.p.phase]]\nname = "b"\non_fail = ["restart:2", "escalate"]\n[[pipeline.p.phase]]\nname = "escalate"\n[[pipeline.p.phase]]\nname = "d"\non_fail = "escalate"\n').pipeline('p')!;
    expect(p.phase[0]!.on_fail).toEqual({ type: 'phase', phase: 'b' });
    expect(p.phase[1]!.on_fail).toMatchObject({ type: 'chain', chain: [{ action: 'restart', max: 2 }, { action: 'escalate' }] });
    // A phase named like an action: the phase wins.
    expect(p.phase[3]!.on_fail).toEqual({ type: 'phase', phase: 'escalate' });
  });

  it('checks placeholders of runs, cwd and defaults against inputs, defaults and runtime names', () => {
    const text = '[pipeline.p]\ninputs = ["bug"]\ndefaults = { branch = "fix/{bug.id}", title = "{branch}: {nope}" }\n[[pipeline.p.phase]]\nname = "a"\nrun = "git checkout {branch} && echo {bug.title} {workspace} {phase} {pipeline} {error} {title} {bgu}"\ncwd = "{workspace}/{dir}"\n';
    expect(problems(text)).toEqual([
      'defaults.title: unknown placeholder {nope} (inputs, earlier defaults and runtime values: bug, project_root, pipeline, id, name, workspace, branch, phase, error)',
      'phase[0] "a" run: unknown placeholder {bgu} (did you mean "bug"?)',
      'phase[0] "a" cwd: unknown placeholder {dir} (inputs, defaults and runtime values: bug, project_root, pipeline, id, name, workspace, branch, phase, error, title)',
    ]);
  });

  it('reports structural mistakes', () => {
    // Sorted by line: the missing phase is reported on the table header.
    expect(problems('[pipeline.p]\ninputs = ["a", "a", "b c"]')).toEqual([
      'phase: missing required field (an array of tables)',
      'inputs[1]: input "a" is listed twice',
      'inputs[2]: "b c" is not a valid input name',
    ]);
    expect(problems('[pipeline.p]\n[[pipeline.p.phase]]\nrun = "x"\nnext = "zz"')).toEqual([
      'phase[0] name: missing required field (a string)',
      'phase[0] next: unknown phase "zz" (phases: )',
    ]);
    expect(problems('[pipeline.p]\n[[pipeline.p.phase]]\nname = "a"\nrun = { agent = "x", strategy = "y" }')).toEqual([
      'phase[0] "a" run: expected { agent = "name" } or { strategy = "name" }',
    ]);
  });

  it('takes max_phase_visits from the pipeline, else the config', () => {
    const phase = '[[pipeline.p.phase]]\nname = "a"\n';
    expect(load(`[pipeline.p]\nmax_phase_visits = 9\n${phase}`).pipeline('p')!.max_phase_visits).toBe(9);
    const result = buildProjectFromTexts({ runbooks: { main: `[pipeline.p]\n${phase}` }, config: '[pipeline]\nmax_phase_visits = 2' });
    expect(result.ok && result.project.pipeline('p')!.max_phase_visits).toBe(2);
  });
});

describe('agent', () => {
  it('fills defaults, with the command from config', () => {
    const result = buildProjectFromTexts({ runbooks: { main: '[agent.a]\nprompt = "hi"' }, config: '[agent]\ncommand = "my-agent"' });
    if (!result.ok) throw new Error('load failed');
    expect(result.project.agent('a')).toMatchObject({
      command: 'my-agent',
      prompt: 'hi',
      prompt_file: null,
      prompt_arg: { type: 'last' },
      inputs: [],
      cwd: null,
      env: {},
      timeout: null,
      idle_timeout: { text: '5m' },
      heartbeat: 'output',
      on_stuck: [{ text: 'nudge' }, { text: 'escalate' }],
      on_timeout: [{ text: 'escalate' }],
      on_exit: [],
      on_error: [],
    });
    expect(load('[agent.a]').agent('a')!.command).toBe('claude');
  });

  it('accepts run as another name for command', () => {
    expect(load('[agent.a]\nrun = "codex exec"').agent('a')!.command).toBe('codex exec');
    expect(problems('[agent.a]\nrun = "x"\ncommand = "y"')).toEqual(['run: set command or run, not both (run is another name for command)']);
  });

  it('checks prompt, prompt_file, inputs, env, heartbeat and prompt_arg', () => {
    expect(
      problems(
        '[agent.a]\nprompt = "{{#each x}}"\nprompt_file = "/abs.md"\nprompt_arg = "stdin"\nheartbeat = "beat"\nenv = { "BAD-NAME" = "x" }\ninputs = [{ name = "i", source = "echo" }, { name = "i", source = "echo `{x}`" }, { nam = "j" }]',
      ),
    ).toEqual([
      'prompt: template error at line 1: Handlebars syntax error: the template ends inside a tag or block near "{{#each x}}"',
      'prompt_file: set prompt or prompt_file, not both',
      'prompt_file: "/abs.md" is absolute (prompt_file is relative to the project root)',
      'prompt_file: file "/abs.md" not found (prompt_file paths are relative to the project root, /project)',
      'prompt_arg: "stdin" is not a prompt_arg (use "last" (default), "file", "none" or a flag such as "--prompt")',
      'heartbeat: "beat" is not a heartbeat (use one of output, claude, none)',
      'env.BAD-NAME: "BAD-NAME" is not a valid environment variable name',
      'inputs[1] source: placeholder {x} inside backticks cannot be quoted safely (use $(...) instead of backticks)',
      'inputs[1] name: input "i" is defined twice',
      'inputs[2] nam: unknown field "nam" (did you mean "name"?)',
      'inputs[2] name: missing required field (a string)',
      'inputs[2] source: missing required field (a string)',
    ]);
  });

  it('checks that prompt_file exists and parses', () => {
    expect(load('[agent.a]\nprompt_file = "t.md"', {}, { 't.md': '{{x}}' }).agent('a')!.prompt_path).toBe('/project/t.md');
    const result = buildProjectFromTexts({ runbooks: { main: '[agent.a]\nprompt_file = "t.md"' }, files: { 't.md': '{{#if}}' } });
    expect(result.ok ? '' : result.errors[0]?.message).toMatch(/^template error in t\.md:1: Handlebars syntax error/);
  });
});

describe('guard, strategy, lock, semaphore, monitor, action', () => {
  it('guard defaults', () => {
    expect(load('[guard.g]\ncondition = "true"').guard('g')).toMatchObject({
      retry: { max: 0, interval: { ms: 10_000 } },
      timeout: null,
      on_timeout: [{ text: 'escalate' }],
      wake_on: [],
    });
    expect(problems('[guard.g]\nretry = { max = -1 }')).toEqual([
      'condition: missing required field (a string)',
      'retry.max: must be at least 0, got -1',
    ]);
  });

  it('strategy attempts', () => {
    const s = load('[agent.x]\n[strategy.s]\n[[strategy.s.attempt]]\nname = "a"\nrun = "try"\nrollback = "undo {checkpoint}"\n[[strategy.s.attempt]]\nname = "b"\nagent = "x"\n[[strategy.s.attempt]]\nname = "c"\nrun = { agent = "x" }').strategy('s')!;
    expect(s.checkpoint).toBeNull();
    expect(s.on_exhaust.map((x) => x.text)).toEqual(['escalate']);
    expect(s.attempt.map((a) => [a.name, a.run.type, a.rollback])).toEqual([
      ['a', 'shell', 'undo {checkpoint}'],
      ['b', 'agent', null],
      ['c', 'agent', null],
    ]);
    expect(problems('[strategy.s]\n[[strategy.s.attempt]]\nname = "a"\n[[strategy.s.attempt]]\nname = "a"\nrun = "x"\nagent = "y"')).toEqual([
      'attempt[0] "a" -: an attempt needs run or agent',
      'attempt[1] "a" name: attempt "a" is defined twice',
      'attempt[1] "a" agent: an attempt runs one thing: set run or agent, not both',
    ]);
    expect(problems('[strategy.s]')).toEqual(['attempt: missing required field (an array of tables)']);
  });

  it('lock and semaphore defaults', () => {
    expect(load('[lock.l]').lock('l')).toMatchObject({ timeout: null, heartbeat: { ms: 30_000 }, on_stale: [{ text: 'release' }] });
    expect(load('[semaphore.s]\nmax = 2').semaphore('s')).toMatchObject({
      max: 2,
      slot_timeout: null,
      slot_heartbeat: { ms: 60_000 },
      on_orphan: [{ text: 'reclaim' }],
      on_orphan_work: [{ text: 'requeue' }],
    });
    expect(problems('[semaphore.s]')).toEqual(['max: missing required field (an integer)']);
    expect(problems('[semaphore.s]\nmax = 0')).toEqual(['max: must be at least 1, got 0']);
  });

  it('monitor: response or action (run is another name for action)', () => {
    const p = load('[monitor.a]\nresponse = ["nudge"]\n[monitor.b]\nsource = "ls"\ncondition = "test -e {id}"\nrun = "rm {id}"');
    expect(p.monitor('a')).toMatchObject({ source: null, condition: null, action: null, response: [{ text: 'nudge' }] });
    expect(p.monitor('b')).toMatchObject({ response: null, action: 'rm {id}' });
    expect(problems('[monitor.m]\nsource = "x"')).toEqual(['-: a monitor needs response (a recovery chain) or action (a shell command)']);
    expect(problems('[monitor.m]\nresponse = "nudge"\naction = "x"')).toEqual([
      'response: set response or action, not both (response is a recovery chain; action is one shell command)',
    ]);
    expect(problems('[monitor.m]\naction = "escalate"')).toEqual([
      'action: "escalate" would run a shell command named escalate (to use the recovery action, write response = ["escalate"])',
    ]);
  });

  it('action defaults', () => {
    expect(load('[action.a]\nrun = "x"').action('a')).toMatchObject({ cooldown: { ms: 0 }, max_attempts: null });
    expect(problems('[action.a]\nmax_attempts = 0')).toEqual(['run: missing required field (a string)', 'max_attempts: must be at least 1, got 0']);
  });
});

describe('file level', () => {
  it('reads [events] hooks and rejects non-hook keys', () => {
    expect(problems('[events]\non_complete = "x"\nfinish = "y"\non_fail = 3')).toEqual([
      'finish: "finish" is not an event hook (hooks are named on_<event>, e.g. on_complete)',
      'on_fail: expected a shell command, got the integer 3',
    ]);
  });

  it('rejects unknown kinds, bad names and non-table values', () => {
    expect(problems('pipeline = 3\n[agents.x]\n[command]\nbad = "x"\n[guard."a b"]\ncondition = "x"')).toEqual([
      '-: expected tables like [pipeline.<name>], got the integer 3',
      '-: unknown kind "agents" (did you mean "agent"?)',
      '-: expected a table [command.bad], got the string "x"',
      '-: "a b" is not a valid guard name (use letters, digits, _ and -, starting with a letter or _)',
    ]);
  });

  it('rejects an invalid runbook file name', () => {
    const result = buildProjectFromTexts({ runbooks: { 'my.book': '' } });
    expect(result.ok ? '' : result.errors[0]?.message).toBe('"my.book" is not a valid runbook name');
  });

  it('loads an empty project', () => {
    const result = buildProjectFromTexts({ runbooks: {} });
    expect(result.ok && result.project.list()).toEqual([]);
  });
});
