#!/usr/bin/env node
/**
 * fake-agent: a scripted stand-in for an AI coding agent, for tests and demos.
 * A real program meant to run in a real pty (plain Node, no dependencies).
 *
 *   node scripts/fake-agent.mjs [args...] [prompt-file]
 *
 * PROMPT: the last argument when it names an existing file, else $OJ_PROMPT_FILE.
 * At start the agent prints `prompt: <first line of the prompt>`.
 *
 * SCRIPT (first found wins):
 *   1. $FAKE_AGENT_SCRIPT: a JSON array of steps, or the path of a JSON file holding one;
 *   2. a fenced block in the prompt:  ```fake-agent  [ ...steps... ]  ```
 *   3. the default: print three "working..." lines, then exit 0.
 *
 * STEPS (one key each, run in order; when the steps run out the agent exits 0):
 *   { "print": "text" }          print a line
 *   { "sleep": 1.5 }             stay silent for N seconds
 *   { "quiet": true }            stay silent until any input arrives (a keypress), then go on
 *   { "waitInput": "substr" }    wait for a line of input (Enter ends it) and print `got: <line>`;
 *                                with a non-empty substring, keep waiting until a line contains it
 *                                ("" or true: any line)
 *   { "claudeLog": { ... } }     append one Claude Code style JSONL entry to $FAKE_AGENT_CLAUDE_LOG
 *                                (`timestamp`, `sessionId` ($FAKE_AGENT_SESSION_ID or a random one),
 *                                `cwd` and `uuid` are filled in when absent)
 *   { "oj": ["done"] }           run the oj CLI ($OJ_BIN, else `oj` on PATH) with these arguments,
 *                                output to the terminal, environment inherited (OJ_SOCKET, OJ_SESSION...);
 *                                prints `oj exited <code>` when it fails
 *   { "exit": 0 }                exit with this status
 *
 * HOOKS (as Claude Code; see fake-agent-hooks.mjs): SessionStart and UserPromptSubmit at start,
 * SessionEnd at exit, and these steps:
 *   { "tool": { "name": "Write", "input": { "file_path": "f", "content": "x" } } }
 *                                PreToolUse (exit 2 blocks it: prints `blocked: <reason>`), then the tool
 *                                (Write/Edit write the file, Bash runs its command), then PostToolUse
 *   { "permission": { "name": "Bash", "input": {...}, "message": "..." } }
 *                                PreToolUse, then a permission_prompt Notification; waits for a key:
 *                                "1" allows (the tool runs, PostToolUse), "3" denies
 *   { "stop": true }             Stop (its turn is over); waits for a line of input, then UserPromptSubmit
 *   { "plan": "text" }           PreToolUse of ExitPlanMode (tool_input.plan), then a permission_prompt
 *                                Notification ("Claude Code needs your approval for the plan"); waits
 *                                for a key as Claude Code's plan dialog does: a digit or Enter approves
 *                                (`plan: approved`, PostToolUse), Esc rejects (`plan: rejected`, Stop,
 *                                then a line of input as after `stop`)
 *   { "fail": { "error": "rate_limit", "message": "..." } }
 *                                StopFailure (the turn ended in an API error: `error`, and `message` as
 *                                last_assistant_message); waits for a line of input, then UserPromptSubmit
 *
 * In the text of `fail` and `claudeLog` steps, `%in:N%` is the epoch second N seconds after the
 * step runs (a rate limit's reset time: `Claude AI usage limit reached|%in:15%`).
 *   { "question": { "questions": [...] } }
 *                                PreToolUse of AskUserQuestion; the first question's choices are listed,
 *                                the first highlighted: arrow down/up moves, Enter picks (`answer: <label>`,
 *                                PostToolUse with tool_response.answers)
 *   { "hook": "Event", ...fields } fire any hook event with these payload fields
 *   { "waitFile": "path" }       wait until the file exists (relative to the working directory)
 *
 * INPUT: the terminal is put in raw mode; typed input is echoed (Enter as a newline) so a nudge
 * is visible on screen. Input typed while no step waits is queued for the next waitInput.
 * Ctrl-C exits 130. A resize prints `resized: <cols>x<rows>`.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, readFileSync, statSync } from 'node:fs';
import { randomUUID } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve as resolvePath } from 'node:path';
import { mkdirSync } from 'node:fs';
import { Hooks } from './fake-agent-hooks.mjs';

// The pty's output processing turns "\n" into "\r\n" (raw mode keeps it on).
const out = (text) => process.stdout.write(text);
const println = (text) => out(`${text}\n`);

function fail(message) {
  process.stderr.write(`fake-agent: ${message}\n`);
  process.exit(2);
}

function readPrompt() {
  const last = process.argv.length > 2 ? process.argv[process.argv.length - 1] : undefined;
  const candidates = [last, process.env.OJ_PROMPT_FILE];
  for (const path of candidates) {
    if (path && existsSync(path) && statSync(path).isFile()) return readFileSync(path, 'utf8');
  }
  return undefined;
}

function parseSteps(text, where) {
  let steps;
  try {
    steps = JSON.parse(text);
  } catch (error) {
    fail(`${where} is not JSON: ${error.message}`);
  }
  if (!Array.isArray(steps)) fail(`${where} must be a JSON array of steps`);
  return steps;
}

function loadScript(prompt) {
  const env = process.env.FAKE_AGENT_SCRIPT;
  if (env && env.trim().length > 0) {
    const text = env.trim().startsWith('[') ? env : readFileSync(env, 'utf8');
    return parseSteps(text, 'FAKE_AGENT_SCRIPT');
  }
  const fenced = prompt?.match(/```fake-agent[^\n]*\n([\s\S]*?)```/);
  if (fenced) return parseSteps(fenced[1], 'the fake-agent block of the prompt');
  return [{ print: 'working... 1/3' }, { print: 'working... 2/3' }, { print: 'working... 3/3' }, { exit: 0 }];
}

/** Typed input: echoed as it arrives, split into lines, handed to whoever waits. */
class Input {
  lines = [];
  partial = '';
  waiters = [];
  keyWaiters = [];

  /** While a dialog (plan, question) waits: keys as they arrive (an escape sequence is one key), not echoed. */
  dialog = false;
  keys = [];
  dialogWaiters = [];

  constructor() {
    if (process.stdin.isTTY) process.stdin.setRawMode(true);
    process.stdin.setEncoding('utf8');
    process.stdin.on('data', (chunk) => this.receive(chunk));
    process.stdin.on('end', () => process.exit(0));
  }

  receive(chunk) {
    if (chunk.includes('\u0003')) {
      println('^C');
      process.exit(130);
    }
    for (const resolve of this.keyWaiters.splice(0)) resolve(chunk);
    if (this.dialog) {
      this.keys.push(...(chunk.match(/\u001b\[[0-9;]*[A-Za-z]|\u001bO[A-Za-z]|[\s\S]/g) ?? []));
      while (this.keys.length > 0 && this.dialogWaiters.length > 0) this.dialogWaiters.shift()(this.keys.shift());
      return;
    }
    for (const ch of chunk) {
      if (ch === '\r' || ch === '\n') {
        out('\n');
        this.lines.push(this.partial);
        this.partial = '';
      } else if (ch === '\u007f' || ch === '\b') {
        if (this.partial.length > 0) {
          this.partial = this.partial.slice(0, -1);
          out('\b \b');
        }
      } else {
        this.partial += ch;
        out(ch);
      }
    }
    this.deliver();
  }

  deliver() {
    while (this.lines.length > 0 && this.waiters.length > 0) {
      this.waiters.shift()(this.lines.shift());
    }
  }

  nextLine() {
    return new Promise((resolve) => {
      this.waiters.push(resolve);
      this.deliver();
    });
  }

  nextKey() {
    return new Promise((resolve) => this.keyWaiters.push(resolve));
  }

  /** The next key typed into the open dialog. */
  dialogKey() {
    return new Promise((resolve) => {
      this.dialogWaiters.push(resolve);
      while (this.keys.length > 0 && this.dialogWaiters.length > 0) this.dialogWaiters.shift()(this.keys.shift());
    });
  }
}

const ESC = '\u001b';
const DOWN = '\u001b[B';
const UP = '\u001b[A';

/** ExitPlanMode as Claude Code's plan dialog answers it: a digit or Enter approves, Esc rejects. */
async function planStep(text, input) {
  const id = `toolu_fake_${++toolUses}`;
  const toolInput = { plan: String(text) };
  const blocked = await hooks.preToolUse('ExitPlanMode', toolInput, id);
  if (blocked) return println(`blocked: ${blocked}`);
  await hooks.fire('Notification', { message: 'Claude Code needs your approval for the plan', notification_type: 'permission_prompt' });
  println('plan? 1. Yes, auto-accept edits  2. Yes, manually approve edits  (esc) No, keep planning');
  input.dialog = true;
  let key;
  do key = await input.dialogKey();
  while (key !== ESC && key !== '\r' && !/^[1-9]$/.test(key));
  input.dialog = false;
  if (key === ESC) {
    println('plan: rejected');
    await hooks.fire('Stop', { stop_hook_active: false });
    const line = await input.nextLine();
    println(`got: ${line}`);
    await hooks.fire('UserPromptSubmit', { prompt: line });
    return;
  }
  println('plan: approved');
  await hooks.fire('PostToolUse', { tool_name: 'ExitPlanMode', tool_input: toolInput, tool_response: { plan: toolInput.plan }, tool_use_id: id });
}

/** AskUserQuestion as Claude Code's question dialog answers it: the first choice highlighted, arrows move, Enter picks. */
async function questionStep(spec, input) {
  const id = `toolu_fake_${++toolUses}`;
  const toolInput = { questions: Array.isArray(spec?.questions) ? spec.questions : [] };
  const blocked = await hooks.preToolUse('AskUserQuestion', toolInput, id);
  if (blocked) return println(`blocked: ${blocked}`);
  const first = toolInput.questions[0] ?? {};
  const labels = (Array.isArray(first.options) ? first.options : []).map((o) => String(o?.label ?? o));
  println(`question: ${first.question ?? '?'} ${labels.map((l, i) => `${i + 1}. ${l}`).join('  ')}`);
  input.dialog = true;
  let at = 0;
  for (;;) {
    const key = await input.dialogKey();
    if (key === DOWN) at = Math.min(at + 1, labels.length - 1);
    else if (key === UP) at = Math.max(at - 1, 0);
    else if (key === '\r') break;
  }
  input.dialog = false;
  println(`answer: ${labels[at]}`);
  const answers = { [String(first.question ?? '?')]: labels[at] };
  await hooks.fire('PostToolUse', { tool_name: 'AskUserQuestion', tool_input: { ...toolInput, answers }, tool_response: { answers }, tool_use_id: id });
}

function runOj(args) {
  const bin = process.env.OJ_BIN || 'oj';
  return new Promise((resolve) => {
    const child = spawn(bin, args.map(String), { stdio: 'inherit', env: process.env });
    child.on('error', (error) => {
      println(`oj failed to start: ${error.message}`);
      resolve(127);
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

/** `%in:N%`: the epoch second N seconds from now (not `{{...}}`: oj renders the prompt as a template). */
const fillTimes = (text) => String(text).replace(/%in:(\d+)%/g, (_, n) => String(Math.floor(Date.now() / 1000) + Number(n)));

function appendClaudeLog(raw) {
  const path = process.env.FAKE_AGENT_CLAUDE_LOG;
  if (!path) fail('a claudeLog step needs FAKE_AGENT_CLAUDE_LOG');
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) fail('claudeLog takes an object');
  const entry = JSON.parse(fillTimes(JSON.stringify(raw)));
  const line = {
    timestamp: new Date().toISOString(),
    sessionId: process.env.FAKE_AGENT_SESSION_ID || sessionId,
    cwd: process.cwd(),
    uuid: randomUUID(),
    ...entry,
  };
  appendFileSync(path, JSON.stringify(line) + '\n');
}

const sessionId = randomUUID();
const hooks = new Hooks(sessionId);
let toolUses = 0;

async function exitWith(code) {
  await hooks.fire('SessionEnd', { reason: 'other' });
  process.exit(code);
}

/** Runs a tool as Claude Code would: PreToolUse (exit 2 blocks), the tool, PostToolUse. */
async function useTool(spec, asked) {
  const name = String(spec.name);
  const input = spec.input ?? {};
  const id = `toolu_fake_${++toolUses}`;
  const blocked = await hooks.preToolUse(name, input, id);
  if (blocked) {
    println(`blocked: ${blocked}`);
    return;
  }
  if (asked) {
    await hooks.fire('Notification', { message: spec.message ?? `Claude needs your permission to use ${name}`, notification_type: 'permission_prompt' });
    println(`permission? ${name}`);
    const key = await asked();
    if (!key.includes('1')) {
      println('permission: denied');
      return;
    }
    println('permission: allowed');
  }
  let response = { success: true };
  if ((name === 'Write' || name === 'Edit') && typeof input.file_path === 'string') {
    const path = isAbsolute(input.file_path) ? input.file_path : resolvePath(process.cwd(), input.file_path);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, String(input.content ?? input.new_string ?? ''));
    response = { filePath: path, success: true };
  } else if (name === 'Bash' && typeof input.command === 'string') {
    const code = await new Promise((res) => spawn('sh', ['-c', input.command], { stdio: 'inherit' }).on('close', res));
    response = { exitCode: code };
  }
  println(`tool: ${name} done`);
  await hooks.fire('PostToolUse', { tool_name: name, tool_input: input, tool_response: response, tool_use_id: id });
}
const sleep = (seconds) => new Promise((resolve) => setTimeout(resolve, Math.max(0, seconds) * 1000));

async function run(steps, input) {
  for (const [index, step] of steps.entries()) {
    if (typeof step !== 'object' || step === null) fail(`step ${index} is not an object`);
    if ('print' in step) println(String(step.print));
    else if ('sleep' in step) await sleep(Number(step.sleep));
    else if ('quiet' in step) await input.nextKey();
    else if ('waitInput' in step) {
      const expected = typeof step.waitInput === 'string' ? step.waitInput : '';
      for (;;) {
        const line = await input.nextLine();
        println(`got: ${line}`);
        if (line.includes(expected)) break;
      }
    } else if ('claudeLog' in step) appendClaudeLog(step.claudeLog);
    else if ('tool' in step) await useTool(step.tool, null);
    else if ('waitFile' in step) {
      while (!existsSync(String(step.waitFile))) await sleep(0.05);
    }
    else if ('permission' in step) {
      await useTool(step.permission, async () => {
        const key = await input.nextKey();
        input.partial = '';
        return key;
      });
    } else if ('stop' in step) {
      await hooks.fire('Stop', { stop_hook_active: false });
      const line = await input.nextLine();
      println(`got: ${line}`);
      await hooks.fire('UserPromptSubmit', { prompt: line });
    } else if ('fail' in step) {
      await hooks.fire('StopFailure', { error: String(step.fail?.error ?? 'unknown'), last_assistant_message: fillTimes(step.fail?.message ?? '') });
      const line = await input.nextLine();
      println(`got: ${line}`);
      await hooks.fire('UserPromptSubmit', { prompt: line });
    } else if ('plan' in step) await planStep(step.plan, input);
    else if ('question' in step) await questionStep(step.question, input);
    else if ('hook' in step) {
      const { hook, ...fields } = step;
      await hooks.fire(String(hook), fields);
    }
    else if ('oj' in step) {
      if (!Array.isArray(step.oj)) fail(`step ${index}: oj takes an array of arguments`);
      const code = await runOj(step.oj);
      if (code !== 0) println(`oj exited ${code}`);
    } else if ('exit' in step) await exitWith(Number(step.exit));
    else fail(`step ${index} is unknown: ${JSON.stringify(step)}`);
  }
  await exitWith(0);
}

const prompt = readPrompt();
const steps = loadScript(prompt);
const input = new Input();
// 'resize' fires after Node has read the new size (a SIGWINCH listener would run before).
process.stdout.on('resize', () => println(`resized: ${process.stdout.columns}x${process.stdout.rows}`));
println(`prompt: ${prompt === undefined ? '(none)' : (prompt.split('\n')[0] ?? '')}`);
await hooks.fire('SessionStart', { source: 'startup' });
await hooks.fire('UserPromptSubmit', { prompt: prompt ?? '' });
await run(steps, input);
