/**
 * Injection fuzzer: every place a value reaches a shell, fed values that
 * would run code if they became shell syntax (command substitution,
 * backticks, quote breaking, newlines, separators, redirections, expansions,
 * subscripts, placeholders and template syntax inside values), a fixed set
 * and a seeded random set built from the same pieces. Each value tries to
 * create a marker file; none may exist at the end, and each value must arrive
 * as one literal argument whether its placeholder stands bare, in double
 * quotes or in single quotes.
 *
 * Places: command args (shell and pipeline commands, variadic), queue item
 * fields (handler pipeline, worker on_take hook, on_exhaust action), source
 * outputs, event data (escalation reason, hook {error} from `oj done
 * --error`), agent prompts (templates) and input sources, an agent's `env`
 * and `command`, strategy checkpoint output (attempts, rollback), monitor
 * items (condition, action); paths (a project root full of shell syntax, in
 * {project_root} and $OJ_PROJECT_ROOT; a cwd), ids, log directories,
 * workspaces and branches derived from hostile inputs, and the environment a
 * client passes; a value over the 128 KiB argument limit (E2BIG, refused in
 * words); and runbooks generated from contexts where bash evaluates text as
 * code and plain ones (issue 16 item 5): each is refused at load with file
 * and line, or runs nothing. Seeded: OJ_FUZZ_SEED replays (printed).
 */
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Rpc, killHard, prng, seedFrom, startOjd, type Ojd } from './helpers/crash-kit.js';
import { REPO, TestEnv, makeProject, waitFor } from './helpers/ojd-harness.js';
import { shellExit, startedPipeline } from './helpers/rpc-call.js';
import { CommandMethods, CronMethods, EscalationMethods, EventMethods, OjError, PipelineMethods, QueueMethods, SessionMethods, WorkerMethods } from '@oj/protocol';

let t: TestEnv;
let ojd: Ojd;
let rpc: Rpc;
const tally = { values: 0, places: 0, templates: 0, refused: 0 };
const seed = seedFrom('OJ_FUZZ_SEED');
const replay = `seed ${seed}; replay with OJ_FUZZ_SEED=${seed}`;
/** Each test draws from its own generator, so that one test run alone (-t) replays the same values. */
function randFor(label: string): ReturnType<typeof prng> {
  let h = seed;
  for (const ch of label) h = Math.imul(h ^ ch.charCodeAt(0), 0x01000193) >>> 0;
  return prng(h);
}

beforeAll(async () => {
  t = new TestEnv();
  ojd = await startOjd(t);
  rpc = await Rpc.connect(t.socket);
}, 60_000);

afterAll(async () => {
  const markers = findMarkers(t.root);
  console.log(
    `injection (${replay}): ${tally.values} hostile values through ${tally.places} shell entry points (bare, "double" and 'single' quoted); ` +
      `${tally.templates} generated templates, ${tally.refused} refused at load; ${markers.length} executed`,
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

/** Pieces of generated values: shell syntax, expansions, subscripts, template syntax, text. */
function pieces(dir: string, k: number): string[] {
  return [
    `$(touch ${dir}/pwned-g${k})`, `\`touch ${dir}/pwned-g${k}\``, `a[$(touch ${dir}/pwned-g${k})]`, `; touch ${dir}/pwned-g${k}`, `| touch ${dir}/pwned-g${k}`,
    `&& touch ${dir}/pwned-g${k}`, `\ntouch ${dir}/pwned-g${k}\n`, `$'\\x41'`, "'", '"', '\\', ';', '|', '&', '>', '<', '(', ')', '{', '}', '[', ']', '*', '?', '~', '!', '#',
    '$', '$HOME', '${HOME}', '$((6*7))', '${x:-y}', ' ', '\t', '{name}', '{{x}}', '{{#each y}}', '%s', '%n', '--', '=', 'é', '🚀', 'x', '0', 'x y',
  ];
}

/**
 * Seeded values made of 1-5 pieces, each with at least one that would run
 * `touch <dir>/pwned-gN` as code. Never starting with `-` (a command reads
 * that as an option) and never NUL (no argument can hold one).
 */
function generated(dir: string, count: number, rand: ReturnType<typeof prng>): string[] {
  return Array.from({ length: count }, (_, k) => {
    const ps = pieces(dir, k);
    const parts = Array.from({ length: rand.int(1, 5) }, () => rand.pick(ps));
    parts.splice(rand.int(0, parts.length), 0, rand.pick(ps.slice(0, 7)));
    const v = parts.join('');
    return v.startsWith('-') ? `x${v}` : v;
  });
}

/** Values that run `touch <dir>/pwned-N` if they are ever read as shell code: a fixed set, then seeded ones. */
function payloads(dir: string, label = basename(dir)): string[] {
  return [...fixedPayloads(dir), ...generated(dir, 12, randFor(`values:${label}`))];
}

function fixedPayloads(dir: string): string[] {
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

/** Runs each and waits for all; their ids in the project (`keys`: as stored, unique across projects). */
async function runPipelines(root: string, command: string, argsList: string[][]): Promise<string[] & { keys: string[] }> {
  const ids: string[] = [];
  const keys: string[] = [];
  for (const args of argsList) {
    const pipeline = startedPipeline(await rpc.call(CommandMethods.Run, { project: root, command, args }));
    ids.push(pipeline.id);
    keys.push(pipeline.key);
  }
  await rpc.call(PipelineMethods.Wait, { ids, project: root, all: true, timeoutMs: 60_000 });
  return Object.assign(ids, { keys });
}

describe('paths, ids, the environment, templates', { timeout: 120_000 }, () => {
  it('a project root full of shell syntax reaches {project_root}, $OJ_PROJECT_ROOT and a cwd (the shell\'s $PWD) as one value each', async () => {
    const rand = randFor('paths');
    // A directory name (no slash, no NUL) that runs touch wherever it becomes code.
    const name = rand.pick([
      `p'q"$(touch pwned-root)\`touch pwned-root2\`;x a[$(touch pwned-root3)] *`,
      `r $(touch pwned-root4) '; touch pwned-root5; '`,
      `s"; touch pwned-root6; "{name}{{x}}`,
    ]);
    const root = makeProject(t, name, {
      r: `
[command.where]
run = '''${THREE('{project_root}')} > {project_root}/out-where; printf '%s\\n' "$OJ_PROJECT_ROOT" "$PWD" >> {project_root}/out-where'''

[command.at]
args = "<x>"
run = '''printf '%s\\n' "$PWD" > {project_root}/out-at; pwd >> {project_root}/out-at'''
`,
    });
    tally.values += 2;
    tally.places += 3;
    expect(shellExit(await rpc.call(CommandMethods.Run, { project: root, command: 'where', args: [] })).exitCode).toBe(0);
    expect(read(join(root, 'out-where'))).toBe(three(root) + `${root}\n${root}\n`);
    // A cwd inside it, itself named with shell syntax.
    const cwd = join(root, `c $(touch pwned-cwd) '"`);
    mkdirSync(cwd);
    expect(shellExit(await rpc.call(CommandMethods.Run, { project: root, command: 'at', args: ['x'], cwd })).exitCode).toBe(0);
    expect(read(join(root, 'out-at'))).toBe(`${cwd}\n${cwd}\n`);
    expect((await t.oj(['run', 'where'], { cwd: root })).exitCode).toBe(0);
    expectNoMarkers(t.root);
  });

  it('ids, log directories, workspaces and branches made from hostile inputs stay plain names inside the state dir', async () => {
    const root = makeProject(t, 'ids', {
      r: `
[command.p]
args = "<v>"
run = { pipeline = "p" }

[pipeline.p]
inputs = ["v"]
[[pipeline.p.phase]]
name = "show"
run = '''printf '%s\\n' {pipeline} {branch} {workspace} "$OJ_PIPELINE" "$OJ_WORKSPACE" {v} > {project_root}/out/p-"$OJ_PIPELINE"'''
`,
    });
    mkdirSync(join(root, 'out'));
    const values = [...payloads(root), '../../../etc/passwd', '..', '.', '/abs/path', 'a/../../b', '~root', '-rf', '--', ' ', 'x'.repeat(300)].map((v) =>
      v.startsWith('-') ? `x${v}` : v,
    );
    tally.values += values.length;
    tally.places += 5;
    const ids = await runPipelines(root, 'p', values.map((v) => [v]));
    const logs = readdirSync(join(t.stateDir, 'logs'));
    for (const [i, id] of ids.entries()) {
      // An id and a key are plain names: no path separator, no dot-dot, nothing the shell would read.
      // (The key, unique across projects, names the log directory, workspace and branch; this
      // daemon's other tests may have had the id first.)
      const key = ids.keys[i]!;
      for (const name of [id, key]) {
        expect(name, `${replay}: input ${JSON.stringify(values[i])}`).toMatch(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/);
        expect(name.includes('..'), replay).toBe(false);
      }
      expect(logs, replay).toContain(key);
      const shown = (await rpc.call(PipelineMethods.Show, { project: root, id })).pipeline;
      expect(shown.status, `${replay}: ${shown.error}`).toBe('done');
      const ws = join(t.stateDir, 'workspaces', key);
      expect(shown.vars.workspace).toBe(ws);
      expect(shown.vars.branch).toBe(`oj/${key}`);
      expect(read(join(root, 'out', `p-${key}`))).toBe([id, `oj/${key}`, ws, key, ws, values[i]].map((x) => `${x}\n`).join(''));
    }
    // Nothing was made outside the state dir's own directories.
    expect(readdirSync(t.stateDir).filter((x) => !['bin', 'logs', 'sessions', 'workspaces', 'oj.db', 'oj.db-wal', 'oj.db-shm', 'ojd.log', 'ojd.pid', 'spawner.pid', 'ojd.sock', 'ojd1.log', 'ojd2.log'].includes(x))).toEqual([]);
    expectNoMarkers(t.root);
  });

  it('the environment a client passes arrives as values ("$V"), never as code', async () => {
    const root = makeProject(t, 'env', {
      r: `
[command.env]
args = "<n>"
run = '''printf '%s\\n' "$V1" "$V2" "\${V3}" > {project_root}/out/env-{n}'''
`,
    });
    mkdirSync(join(root, 'out'));
    const values = payloads(root);
    tally.values += values.length;
    tally.places += 1;
    for (const [i, v] of values.entries()) {
      const env = { V1: v, V2: `${v}${v}`, V3: v, PATH: process.env.PATH ?? '/usr/bin:/bin' };
      expect(shellExit(await rpc.call(CommandMethods.Run, { project: root, command: 'env', args: [String(i)], env })).exitCode).toBe(0);
      expect(read(join(root, 'out', `env-${i}`)), replay).toBe(`${v}\n${v}${v}\n${v}\n`);
    }
    expectNoMarkers(root);
  });

  it("an agent's env (text), command (shell) and prompt template get a hostile input literally, braces and template syntax included", async () => {
    const fake = `node ${join(REPO, 'scripts', 'fake-agent.mjs')}`;
    const root = makeProject(t, 'agentenv', {
      r: `
[command.ag]
args = "<n> <v>"
run = { pipeline = "ag" }

[pipeline.ag]
inputs = ["n", "v"]
[[pipeline.ag.phase]]
name = "work"
agent = "a"

[agent.a]
command = '''printf '%s\\n' "$X" {v} > {project_root}/out/env-{n}; ${fake}'''
env = { X = "{v}" }
prompt = "A:{v}\\nB:{{v}}\\n"
`,
    });
    mkdirSync(join(root, 'out'));
    // A prompt is a template, an env value is text: a value holding {x} or {{x}} must not be read as one.
    const values = payloads(root).filter((v) => !v.includes('\n')).slice(0, 10);
    tally.values += values.length;
    tally.places += 3;
    const ids = await runPipelines(root, 'ag', values.map((v, i) => [String(i), v]));
    await waitFor('each agent to write its env', () => values.every((_, i) => existsSync(join(root, 'out', `env-${i}`))), 30_000);
    await waitFor('each env file complete', () => values.every((v, i) => read(join(root, 'out', `env-${i}`)) === `${v}\n${v}\n`), 10_000);
    const { sessions } = await rpc.call(SessionMethods.List, { project: root, all: true });
    for (const [i, id] of ids.entries()) {
      const s = sessions.find((x) => x.pipeline === id);
      expect(s, replay).toBeDefined();
      expect(readFileSync(join(s!.dir, 'prompt.md'), 'utf8'), replay).toBe(`A:${values[i]}\nB:${values[i]}\n`);
    }
    expectNoMarkers(root);
  });

  it('a value over the 128 KiB argument limit fails its phase saying so (E2BIG), and runs nothing', async () => {
    const rand = randFor('e2big');
    const root = makeProject(t, 'big', {
      r: `
[command.big]
args = "<v>"
run = { pipeline = "big" }

[pipeline.big]
inputs = ["v"]
[[pipeline.big.phase]]
name = "x"
run = '''printf '%s' {v} | wc -c > {project_root}/out-big'''
`,
    });
    const values = Array.from({ length: 3 }, () => {
      const unit = rand.pick(payloads(root));
      return unit.repeat(Math.ceil(rand.int(132_000, 400_000) / Math.max(1, unit.length))).replace(/^-/, 'x');
    });
    tally.values += values.length;
    tally.places += 1;
    const ids = await runPipelines(root, 'big', values.map((v) => [v]));
    for (const id of ids) {
      const shown = (await rpc.call(PipelineMethods.Show, { project: root, id })).pipeline;
      expect(shown.status, replay).toBe('failed');
      expect(shown.error, replay).toMatch(/could not be started: it is \d+ bytes .*128 KiB \(E2BIG\)/);
    }
    expect(existsSync(join(root, 'out-big'))).toBe(false);
    expectNoMarkers(root);
  });
});

describe('generated runbooks: contexts where bash evaluates text as code, and plain ones (issue 16 item 5)', { timeout: 120_000 }, () => {
  // `P` stands for the placeholder, written bare, "quoted" or glued; pieces are wrapped and joined at random.
  const evaluated = [
    'a[1 + P]=5', 'x=( [P]=2 )', '[[ -v P ]]', 'test -v P', '[ -v P ]', 'declare -A m; unset "m[{v}]"', 'unset P', '[[ " ]]" == x || P -eq 1 ]]',
    '[ P -gt 1 ]', 'test 1 -le P', 'declare -i n; n=P', 'read -r P <<< x', 'printf -v P %s x', 'export P=1', 'f() { local P; }; f', 'declare -a d=P',
    'getopts a P', 'a[P]=1', 'echo $(( P ))', '(( P ))', 'let P',
  ];
  const plain = ['echo P', 'a[1]=P', 'x=( P )', '[[ P == x ]]', 'test P = x', '[ -n P ]', 'printf %s P', 'V=P; echo "$V"', 'case P in *) echo;; esac'];
  const placeholder = ['{v}', '"{v}"', 'x{v}', '"x{v}y"'];
  const wrap = [(s: string) => s, (s: string) => `if true; then ${s}; fi`, (s: string) => `( ${s} )`, (s: string) => `{ ${s}; }`, (s: string) => `g() { ${s}; }; g`];

  it('each generated runbook is refused by oj runbook check with file and line when it uses an evaluated context, else runs hostile values inertly', async () => {
    const rand = randFor('templates');
    const templates = Array.from({ length: 24 }, () => {
      let code = false;
      const piece = () => {
        const useEvaluated = rand.chance(0.5);
        code ||= useEvaluated;
        const text = rand.pick(useEvaluated ? evaluated : plain);
        return rand.pick(wrap)(text.replaceAll('P', () => rand.pick(placeholder)));
      };
      const text = Array.from({ length: rand.int(1, 3) }, piece).join(rand.pick(['; ', ' || true; ']));
      return { text, code };
    });
    tally.templates += templates.length;
    // All of them in one project, one command per file: the check must name exactly the evaluated ones, by file and line.
    const files: Record<string, string> = {};
    templates.forEach((tpl, i) => (files[`t${i}`] = `# generated ${i}\n[command.c${i}]\nargs = "<v>"\nrun = '''${tpl.text}'''\n`));
    const all = makeProject(t, 'generated', files);
    const check = await t.oj(['runbook', 'check'], { cwd: all });
    const out = check.stdout + check.stderr;
    const flagged = templates.flatMap((_, i) => (new RegExp(`\\bt${i}\\.toml:4: .*placeholder \\{v\\} .*where bash evaluates text as code`).test(out) ? [i] : []));
    const wanted = templates.flatMap((tpl, i) => (tpl.code ? [i] : []));
    expect(flagged, `${replay}\n${templates.map((x, i) => `t${i}: ${x.code ? 'code' : 'plain'} ${x.text}`).join('\n')}\n${out}`).toEqual(wanted);
    expect(check.exitCode).toBe(wanted.length ? 1 : 0);
    tally.refused += wanted.length;
    // The plain ones, in a project of their own, run with hostile values: nothing runs.
    const kept = templates.filter((tpl) => !tpl.code);
    if (kept.length === 0) return;
    const plainFiles: Record<string, string> = {};
    kept.forEach((tpl, i) => (plainFiles[`t${i}`] = `[command.c${i}]\nargs = "<v>"\nrun = '''${tpl.text}'''\n`));
    const root = makeProject(t, 'generated-plain', plainFiles);
    const values = payloads(root);
    tally.values += values.length;
    for (let i = 0; i < kept.length; i++) {
      for (const v of values.slice(0, 8)) {
        try {
          await rpc.call(CommandMethods.Run, { project: root, command: `c${i}`, args: [v] });
        } catch (err) {
          // A bad argument is refused in words; never anything else.
          expect(err, replay).toBeInstanceOf(OjError);
          expect((err as OjError).code, replay).toBe(1011);
        }
      }
    }
    expectNoMarkers(root);
  });
});
