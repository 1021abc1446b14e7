/**
 * Injection: every place a value reaches a shell, fed values that would run
 * code if they became shell syntax (command substitution, backticks, quote
 * breaking, newlines, separators, redirections, expansions, placeholders
 * inside values). Each value tries to create a marker file; none may exist
 * at the end, and each value must arrive as one literal argument whether its
 * placeholder stands bare, in double quotes or in single quotes.
 *
 * Places: command args (shell and pipeline commands, variadic), queue item
 * fields (handler pipeline, worker on_take hook, on_exhaust action), source
 * outputs, event data (escalation reason, hook {error} from `oj done
 * --error`), agent prompts and input sources, strategy checkpoint output
 * (attempts, rollback), monitor items (condition, action).
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rpc, killHard, startOjd, type Ojd } from './helpers/crash-kit.js';
import { REPO, TestEnv, makeProject, waitFor } from './helpers/ojd-harness.js';
import { shellExit, startedPipeline } from './helpers/rpc-call.js';
import { CommandMethods, CronMethods, EscalationMethods, EventMethods, PipelineMethods, QueueMethods, SessionMethods, WorkerMethods } from '@oj/protocol';

let t: TestEnv;
let ojd: Ojd;
let rpc: Rpc;
const tally = { values: 0, places: 0 };

beforeAll(async () => {
  t = new TestEnv();
  ojd = await startOjd(t);
  rpc = await Rpc.connect(t.socket);
}, 60_000);

afterAll(async () => {
  const markers = findMarkers(t.root);
  console.log(
    `injection: ${tally.values} hostile values through ${tally.places} shell entry points (bare, "double" and 'single' quoted); ` +
      `${markers.length} executed`,
  );
  rpc?.close();
  await t.cleanup();
  if (ojd) await killHard(ojd);
});

function findMarkers(dir: string): string[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory() ? findMarkers(join(dir, e.name)) : e.name.startsWith('pwned') ? [join(dir, e.name)] : [],
  );
}

/** Values that run `touch <dir>/pwned-N` if they are ever read as shell code. */
function payloads(dir: string): string[] {
  return [
    `$(touch ${dir}/pwned-1)`,
    `\`touch ${dir}/pwned-2\``,
    `"; touch ${dir}/pwned-3; echo "`,
    `'; touch ${dir}/pwned-4; echo '`,
    `line one\ntouch ${dir}/pwned-5`,
    `a;touch ${dir}/pwned-6`,
    `a && touch ${dir}/pwned-7 || touch ${dir}/pwned-7`,
    `| touch ${dir}/pwned-8`,
    `> ${dir}/pwned-9`,
    `$(IFS=_; c=touch_${dir}/pwned-10; $c)`,
    `\\"; touch ${dir}/pwned-11 #`,
    `{name} {project_root} \${HOME} $((6*7)) * ~ !! %s \\n`,
  ];
}

/** printf of a placeholder bare, double-quoted and single-quoted: each line must be the value itself. */
const THREE = (p: string) => `printf '%s\\n' ${p} "${p}" '${p}'`;
const three = (v: string) => `${v}\n${v}\n${v}\n`;
const read = (p: string) => (existsSync(p) ? readFileSync(p, 'utf8') : null);

function expectNoMarkers(root: string): void {
  expect(findMarkers(root)).toEqual([]);
}

describe('values reaching a shell stay values', { timeout: 60_000 }, () => {
  it('command arguments: shell commands, pipeline commands, variadic arguments', async () => {
    const root = makeProject(t, 'args', {
      r: `
[command.say]
args = "<x>"
run = '''
${THREE('{x}')} > {project_root}/out/say
'''

[command.many]
args = "<xs...>"
run = "printf '%s\\n' {xs} > {project_root}/out/many"

[command.pipe]
args = "<n> <x>"
run = { pipeline = "p" }

[pipeline.p]
inputs = ["n", "x"]
[[pipeline.p.phase]]
name = "echo"
run = '''${THREE('{x}')} > {project_root}/out/pipe-{n}'''
`,
    });
    mkdirSync(join(root, 'out'));
    const values = payloads(root);
    tally.values += values.length;
    tally.places += 3;
    for (const v of values) {
      const r = shellExit(await rpc.call(CommandMethods.Run, { project: root, command: 'say', args: [v] }));
      expect(r.exitCode).toBe(0);
      expect(read(join(root, 'out', 'say'))).toBe(three(v));
    }
    await rpc.call(CommandMethods.Run, { project: root, command: 'many', args: values });
    expect(read(join(root, 'out', 'many'))).toBe(values.map((v) => v + '\n').join(''));
    const ids: string[] = [];
    for (const [i, v] of values.entries()) {
      ids.push(startedPipeline(await rpc.call(CommandMethods.Run, { project: root, command: 'pipe', args: [String(i), v] })).id);
    }
    await waitFor('the pipelines', async () => {
      const { pipelines } = await rpc.call(PipelineMethods.List, { project: root });
      return pipelines.filter((p) => ids.includes(p.id)).every((p) => p.status === 'done');
    });
    for (const [i, v] of values.entries()) expect(read(join(root, 'out', `pipe-${i}`))).toBe(three(v));
    // The real CLI passes them through as well.
    const cli = await t.oj(['run', 'say', values[0]!], { cwd: root });
    expect(cli.exitCode).toBe(0);
    expectNoMarkers(root);
  });

  it('queue item fields: the handler pipeline, the on_take hook, an on_exhaust action; and source outputs', async () => {
    const root = makeProject(t, 'queue', {
      r: `
[worker.w]
queue = "items"
handler = "pipeline.h"
concurrency = 4

[worker.w.events]
on_take = '''${THREE('{item.title}')} > {project_root}/out/take-{item_id}'''

[queue.items]

[pipeline.h]
inputs = ["job"]
[[pipeline.h.phase]]
name = "echo"
run = '''${THREE('{job.title}')} > {project_root}/out/item-{job.id}'''

[worker.doom]
queue = "doomed"
handler = "pipeline.fail"

[queue.doomed]
max_retries = 0
on_exhaust = ["report", "dead"]

[action.report]
run = '''${THREE('{title}')} > {project_root}/out/exhaust-{id}'''

[pipeline.fail]
inputs = ["job"]
[[pipeline.fail.phase]]
name = "x"
run = "exit 1"

[worker.src]
queue = "listed"
handler = "pipeline.h2"

[queue.listed]
source = "cat {project_root}/source.json"

[pipeline.h2]
inputs = ["job"]
[[pipeline.h2.phase]]
name = "echo"
run = '''${THREE('{job.title}')} > {project_root}/out/src-{job.id}'''
`,
    });
    mkdirSync(join(root, 'out'));
    const values = payloads(root);
    tally.values += values.length * 3;
    tally.places += 4;
    const items = values.map((v, i) => ({ id: `i${i}`, title: v }));
    writeFileSync(join(root, 'source.json'), JSON.stringify(values.map((v, i) => ({ id: `s${i}`, title: v }))));
    await rpc.call(QueueMethods.Add, { project: root, queue: 'items', items });
    await rpc.call(QueueMethods.Add, { project: root, queue: 'doomed', items });
    for (const w of ['w', 'doom', 'src']) await rpc.call(WorkerMethods.Start, { project: root, name: w });
    await waitFor(
      'every output',
      () =>
        values.every(
          (_, i) =>
            existsSync(join(root, 'out', `item-i${i}`)) &&
            existsSync(join(root, 'out', `take-i${i}`)) &&
            existsSync(join(root, 'out', `exhaust-i${i}`)) &&
            existsSync(join(root, 'out', `src-s${i}`)),
        ),
      30_000,
    );
    await waitFor('hooks to finish writing', () =>
      values.every((v, i) => read(join(root, 'out', `take-i${i}`)) === three(v) && read(join(root, 'out', `exhaust-i${i}`)) === three(v)),
    );
    for (const [i, v] of values.entries()) {
      expect(read(join(root, 'out', `item-i${i}`))).toBe(three(v));
      expect(read(join(root, 'out', `src-s${i}`))).toBe(three(v));
    }
    expectNoMarkers(root);
  });

  it('strategy checkpoint output, in attempts and rollbacks', async () => {
    const root = makeProject(t, 'strategy', {
      r: `
[command.cp]
args = "<n>"
run = { pipeline = "cp" }

[pipeline.cp]
inputs = ["n"]
[[pipeline.cp.phase]]
name = "s"
strategy = "st"

[strategy.st]
checkpoint = "cat {project_root}/cp/{n}"

[[strategy.st.attempt]]
name = "first"
run = '''${THREE('{checkpoint}')} > {project_root}/out/attempt-{n}; exit 1'''
rollback = '''${THREE('{checkpoint}')} > {project_root}/out/rollback-{n}'''

[[strategy.st.attempt]]
name = "second"
run = "true"
`,
    });
    mkdirSync(join(root, 'out'));
    mkdirSync(join(root, 'cp'));
    // Checkpoint output is trimmed: values without surrounding blanks.
    const values = payloads(root).map((v) => v.trim());
    tally.values += values.length;
    tally.places += 2;
    const ids: string[] = [];
    for (const [i, v] of values.entries()) {
      writeFileSync(join(root, 'cp', String(i)), v + '\n');
      ids.push(startedPipeline(await rpc.call(CommandMethods.Run, { project: root, command: 'cp', args: [String(i)] })).id);
    }
    await waitFor('the strategies', async () => {
      const { pipelines } = await rpc.call(PipelineMethods.List, { project: root });
      return pipelines.filter((p) => ids.includes(p.id)).every((p) => p.status === 'done');
    }, 30_000);
    for (const [i, v] of values.entries()) {
      expect(read(join(root, 'out', `attempt-${i}`))).toBe(three(v));
      expect(read(join(root, 'out', `rollback-${i}`))).toBe(three(v));
    }
    expectNoMarkers(root);
  });

  it("event data and agents: an escalation's reason, a prompt, an input source, and {error} from oj done --error in a hook", async () => {
    const fake = `node ${join(REPO, 'scripts', 'fake-agent.mjs')}`;
    const root = makeProject(t, 'agent', {
      r: `
[command.ag]
args = "<name>"
run = { pipeline = "ag" }

[pipeline.ag]
inputs = ["name"]
[[pipeline.ag.phase]]
name = "work"
agent = "a"

[pipeline.ag.events]
on_fail = '''${THREE('{error}')} > {project_root}/out/hook'''

[agent.a]
command = "${fake}"
prompt_file = "prompts/a.md"
inputs = [{ name = "echoed", source = "printf '%s' {name}" }]
`,
    });
    mkdirSync(join(root, 'out'));
    mkdirSync(join(root, 'prompts'));
    // Brace-free values: the prompt file is a template.
    const values = payloads(root).filter((v) => !v.includes('{'));
    const reason = values[0]!;
    const error = values[2]!;
    tally.values += values.length + 3;
    tally.places += 5;
    writeFileSync(
      join(root, 'prompts', 'a.md'),
      `Task {name}: {{echoed}}\n\`\`\`fake-agent\n${JSON.stringify([{ print: 'working' }, { oj: ['done', '--error', error] }, { quiet: true }])}\n\`\`\`\n`,
    );
    const { event } = await rpc.call(EventMethods.Emit, { name: 'escalate', project: root, data: { reason } });
    expect(event.data.reason).toBe(reason);
    const name = values[1]!;
    const pipeline = startedPipeline(await rpc.call(CommandMethods.Run, { project: root, command: 'ag', args: [name] }));
    await waitFor('the on_fail hook', () => read(join(root, 'out', 'hook'))?.includes(error), 30_000);
    const shown = (await rpc.call(PipelineMethods.Show, { project: root, id: pipeline.id })).pipeline;
    expect(shown.status).toBe('failed');
    expect(shown.error).toContain(error);
    expect(read(join(root, 'out', 'hook'))).toBe(three(shown.error!));
    const session = await rpc.call(SessionMethods.List, { project: root, all: true });
    const prompt = readFileSync(join(session.sessions[0]!.dir!, 'prompt.md'), 'utf8');
    expect(prompt.split('\n')[0]).toBe(`Task ${name}: ${name}`);
    const { escalations } = await rpc.call(EscalationMethods.List, { project: root });
    expect(escalations.map((e) => e.reason)).toContain(reason);
    expectNoMarkers(root);
  });

  it('monitor items: condition and action', async () => {
    const root = makeProject(t, 'monitor', {
      r: `
[cron.scan]
interval = "1h"
monitors = ["m"]

[monitor.m]
source = "cat {project_root}/items.json"
condition = '''${THREE('{title}')} > {project_root}/out/cond-{id}'''
action = '''${THREE('{title}')} > {project_root}/out/act-{id}'''
`,
    });
    mkdirSync(join(root, 'out'));
    const values = payloads(root);
    tally.values += values.length;
    tally.places += 2;
    writeFileSync(join(root, 'items.json'), JSON.stringify(values.map((v, i) => ({ id: `m${i}`, title: v }))));
    await rpc.call(CronMethods.Run, { project: root, name: 'scan' });
    await waitFor('every action', () => values.every((v, i) => read(join(root, 'out', `act-m${i}`)) === three(v)), 30_000);
    for (const [i, v] of values.entries()) expect(read(join(root, 'out', `cond-m${i}`))).toBe(three(v));
    expectNoMarkers(root);
  });
});

describe('contexts where bash evaluates a quoted value as code are refused at load', { timeout: 60_000 }, () => {
  // Issue 16 item 5: each of these passed `oj runbook check`, and
  // `oj run x 'a[$(touch PWNED)]'` ran the touch: bash evaluates array
  // subscripts, -v operands and arithmetic itself, after quote removal.
  const contexts: Record<string, string> = {
    subscript: 'a[1 + {v}]=5',
    compound: 'x=( [{v}]=2 )',
    'test-v': '[[ -v {v} ]]',
    'builtin-test-v': 'test -v {v}',
    unset: 'declare -A m; unset "m[{v}]"',
    arithmetic: '[[ " ]]" == x || {v} -eq 1 ]]',
  };

  it.each(Object.entries(contexts))('%s: oj runbook check names file and line; oj run creates no marker', async (name, run) => {
    const root = makeProject(t, `code-${name}`, {
      [name]: `# ${name}\n[command.x]\nargs = "<v>"\nrun = '${run}'\n`,
    });
    const check = await t.oj(['runbook', 'check'], { cwd: root });
    expect(check.exitCode).not.toBe(0);
    const out = check.stdout + check.stderr;
    expect(out).toMatch(new RegExp(`${name}\\.toml:4: .*placeholder \\{v\\} .*where bash evaluates text as code`));
    const value = `a[$(touch ${root}/pwned-code)]`;
    const ran = await t.oj(['run', 'x', value], { cwd: root });
    expect(ran.exitCode).not.toBe(0);
    expectNoMarkers(root);
  });
});
