/**
 * Access and secrets: the socket and state stay private (0600 socket in a
 * 0700 directory); a socket path in a shared directory is refused; another
 * uid cannot connect (filesystem permissions are the control: Node has no
 * peer-credential API, see docs/reliability.md); values of secret-named
 * variables never reach ojd.log or the event log, nor ids, names, paths,
 * branches or what clients are shown.
 */
import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Rpc, killHard, startOjd, withDb, type Ojd } from './helpers/crash-kit.js';
import { REPO, TestEnv, makeProject, waitFor } from './helpers/ojd-harness.js';
import { CommandMethods, DaemonMethods, EventMethods, PipelineMethods } from '@oj/protocol';

let t: TestEnv;
let daemons: Ojd[] = [];
beforeEach(() => {
  t = new TestEnv();
  daemons = [];
});
afterEach(async () => {
  await t.cleanup();
  for (const d of daemons) await killHard(d);
});

const asRoot = process.getuid?.() === 0;

/** Tries to connect to a socket as another user (nobody); resolves with the error code, or 'connected'. */
function connectAs(uid: number, socket: string): Promise<string> {
  const program = `
    const s = require('net').connect(${JSON.stringify(socket)});
    s.on('connect', () => { console.log('connected'); process.exit(0); });
    s.on('error', (e) => { console.log(e.code); process.exit(0); });
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', program], { uid, gid: uid, cwd: '/', stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (err += d.toString()));
    child.on('error', reject);
    child.on('exit', () => (out.trim() ? resolve(out.trim()) : reject(new Error(err))));
  });
}

describe('access', { timeout: 60_000 }, () => {
  it('keeps the socket 0600 in a 0700 directory, tightening a directory of ours that others could enter (not write)', async () => {
    const dir = join(t.root, 'sock');
    mkdirSync(dir, { mode: 0o755 });
    chmodSync(dir, 0o755);
    const socket = join(dir, 'ojd.sock');
    const d = await startOjd(t, { OJ_SOCKET: socket }, false);
    daemons.push(d);
    await waitFor('the socket', () => {
      try {
        return statSync(socket).isSocket();
      } catch {
        return false;
      }
    });
    expect(statSync(dir).mode & 0o777).toBe(0o700);
    expect(statSync(socket).mode & 0o777).toBe(0o600);
    expect(statSync(t.stateDir).mode & 0o777).toBe(0o700);
    for (const f of readdirSync(t.stateDir)) {
      if (f === 'bin') continue;
      expect(statSync(join(t.stateDir, f)).mode & 0o077, f).toBe(0);
    }
  });

  it('refuses a socket path in a shared directory others can write (sticky, world-writable), without touching it', async () => {
    const shared = join(t.root, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o1777);
    const d = await startOjd(t, { OJ_SOCKET: join(shared, 'ojd.sock') }, false);
    daemons.push(d);
    expect((await d.exited).code).toBe(1);
    expect(d.stderr()).toMatch(/shared directory \(others can write there\); refusing/);
    expect(statSync(shared).mode & 0o7777).toBe(0o1777);
    // The CLI shows the daemon's own reason.
    const r = await t.oj(['status'], { env: { OJ_SOCKET: join(shared, 'ojd.sock') } });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/shared directory/);
  });

  it.runIf(asRoot)('another user cannot connect: the directory stops them, and the socket mode would too', async () => {
    const d = await startOjd(t);
    daemons.push(d);
    expect(await connectAs(65534, t.socket)).toBe('EACCES');
    // Even with the directory opened up, the socket itself (0600) refuses them.
    chmodSync(t.stateDir, 0o711);
    expect(await connectAs(65534, t.socket)).toBe('EACCES');
    chmodSync(t.stateDir, 0o700);
    // We still get in.
    const rpc = await Rpc.connect(t.socket);
    expect(await rpc.call(DaemonMethods.Ping)).toMatchObject({ pong: true });
    rpc.close();
  });
});

describe('secrets', { timeout: 60_000 }, () => {
  it('values of secret-named variables never reach ojd.log or the event log; the session spec holding them is private', async () => {
    const daemonSecret = `tok-${Math.random().toString(36).slice(2)}-daemon`;
    const agentSecret = `pw-${Math.random().toString(36).slice(2)}-agent`;
    const fake = `node ${join(REPO, 'scripts', 'fake-agent.mjs')}`;
    const root = makeProject(t, 'proj', {
      r: `
[command.go]
args = "<name>"
run = { pipeline = "p" }

[pipeline.p]
inputs = ["name"]
[[pipeline.p.phase]]
name = "leak"
run = "oj emit leak:shell --data token=$TEST_API_TOKEN; echo using $TEST_API_TOKEN; exit 3"
on_fail = "agent"
[[pipeline.p.phase]]
name = "agent"
agent = "a"

[agent.a]
command = "${fake}"
prompt_file = "prompts/a.md"
env = { DEPLOY_PASSWORD = "${agentSecret}", PLAIN = "visible-value" }
`,
    });
    mkdirSync(join(root, 'prompts'));
    const script = [{ print: 'working' }, { oj: ['emit', 'leak:agent', '--data', `pw=${agentSecret}`] }, { oj: ['done'] }, { quiet: true }];
    writeFileSync(join(root, 'prompts', 'a.md'), `Work.\n\`\`\`fake-agent\n${JSON.stringify(script)}\n\`\`\`\n`);
    const d = await startOjd(t, { TEST_API_TOKEN: daemonSecret });
    daemons.push(d);
    const rpc = await Rpc.connect(t.socket);
    await rpc.call(CommandMethods.Run, { project: root, command: 'go', args: ['x'] });
    await waitFor('the pipeline', async () => (await rpc.call(PipelineMethods.Show, { project: root, id: 'p-x' })).pipeline.status === 'done', 30_000);
    const events = (await rpc.call(EventMethods.List, { limit: 1000 })).events;
    rpc.close();
    // The events were recorded, with the values redacted.
    expect(events.find((e) => e.name === 'leak:shell')?.data).toEqual({ token: '[redacted $TEST_API_TOKEN]' });
    expect(events.find((e) => e.name === 'leak:agent')?.data).toEqual({ pw: '[redacted $DEPLOY_PASSWORD]' });
    // Nowhere in the database or the daemon's log.
    const dbText = withDb(join(t.stateDir, 'oj.db'), (db) => JSON.stringify(db.prepare('SELECT * FROM events').all()));
    const log = readFileSync(join(t.stateDir, 'ojd.log'), 'utf8');
    for (const secret of [daemonSecret, agentSecret]) {
      expect(dbText).not.toContain(secret);
      expect(log).not.toContain(secret);
    }
    // The log shows the agent's env with the secret redacted (and the rest as it is).
    expect(log).toMatch(/"DEPLOY_PASSWORD":"\[redacted\]"/);
    expect(log).toMatch(/"PLAIN":"visible-value"/);
    // The agent itself got it, through a private spec file in a private directory.
    const sessions = join(t.stateDir, 'sessions');
    const [dir] = readdirSync(sessions);
    expect(statSync(join(sessions, dir!)).mode & 0o777).toBe(0o700);
    expect(statSync(join(sessions, dir!, 'spec.json')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(sessions, dir!, 'spec.json'), 'utf8')).toContain(agentSecret);
  });

  it('a secret value in a pipeline input or an event name or subject reaches no id, path, branch, listing, log or file name; the database holds it only in the vars the phase gets it from', async () => {
    const secret = 'supersecret123';
    t.env.MY_API_TOKEN = secret;
    await t.startDaemon();
    const root = makeProject(
      t,
      'repo',
      {
        sec: `
[command.sec]
args = "<tok>"
run = { pipeline = "sec" }

[pipeline.sec]
inputs = ["tok"]
defaults = { branch = "oj/{pipeline}" }
[[pipeline.sec.phase]]
name = "use"
run = "oj emit used:{pipeline} --id {pipeline}; pwd > {project_root}/seen-pwd; echo {tok} > {project_root}/got-tok"
[pipeline.sec.events]
on_phase = "test -n {tok}"
`,
      },
      { git: true },
    );
    const run = await t.oj(['run', 'sec', `tok=${secret}`, '--wait'], { cwd: root });
    expect(run.exitCode, run.stderr).toBe(0);
    // The phase got the real value.
    expect(readFileSync(join(root, 'got-tok'), 'utf8').trim()).toBe(secret);
    for (const args of [['x', '--id', `key ${secret}`], [`deploy:${secret}`]]) {
      const emitted = await t.oj(['emit', ...args], { cwd: root });
      expect(emitted.exitCode, emitted.stderr).toBe(0);
    }

    // The id holds a hash in place of the input; its workspace, log directory and branch follow it.
    const list = await t.oj(['pipeline', 'list', '--json'], { cwd: root });
    expect(list.exitCode, list.stderr).toBe(0);
    const [p] = JSON.parse(list.stdout) as { id: string; vars: Record<string, unknown> }[];
    expect(p!.id).toMatch(/^sec-[0-9a-f]{8}$/);
    expect(p!.vars.tok).toBe('[redacted $MY_API_TOKEN]');
    expect(readFileSync(join(root, 'seen-pwd'), 'utf8').trim()).toBe(join(t.stateDir, 'workspaces', p!.id));
    const branches = execFileSync('git', ['branch', '--list', '--all'], { cwd: root, encoding: 'utf8' });
    expect(branches).toContain(`oj/${p!.id}`);
    const names: string[] = [];
    const walk = (dir: string) => {
      for (const e of readdirSync(dir, { withFileTypes: true })) {
        names.push(join(dir, e.name));
        if (e.isDirectory()) walk(join(dir, e.name));
      }
    };
    walk(t.stateDir);
    expect(names).toContain(join(t.stateDir, 'logs', p!.id));
    // What ojd writes into the logs (the hook's command, filled in) is redacted too.
    const logs = names.filter((n) => n.startsWith(join(t.stateDir, 'logs')) && statSync(n).isFile());
    const hookLine = logs.map((f) => readFileSync(f, 'utf8')).join('').split('\n').find((l) => l.includes('[on_phase]'));
    expect(hookLine).toContain("test -n '[redacted $MY_API_TOKEN]'");
    const contents = names.filter((n) => statSync(n).isFile() && !/oj\.db/.test(n)).map((n) => readFileSync(n, 'utf8')).join('\n');

    // Event names and subjects are stored redacted.
    const show = await t.oj(['pipeline', 'show', p!.id, '--json'], { cwd: root });
    expect(show.exitCode, show.stderr).toBe(0);
    const events = await t.oj(['events', '--json'], { cwd: root });
    const eventsText = await t.oj(['events'], { cwd: root });
    const recorded = events.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { name: string; subject: string | null });
    expect(recorded.find((e) => e.name === 'x')?.subject).toBe('key [redacted $MY_API_TOKEN]');
    expect(recorded.map((e) => e.name)).toContain('deploy:[redacted $MY_API_TOKEN]');
    expect(recorded.find((e) => e.name === `used:${p!.id}`)?.subject).toBe(p!.id);
    expect(eventsText.stdout).toContain('key [redacted $MY_API_TOKEN]');

    const places: Record<string, string> = {
      'oj pipeline list': list.stdout,
      'oj pipeline show': show.stdout,
      'oj events --json': events.stdout,
      'oj events': eventsText.stdout,
      'git branch': branches,
      'names under the state dir': names.join('\n'),
      'files under the state dir but the database': contents,
      'ojd.log': readFileSync(join(t.stateDir, 'ojd.log'), 'utf8'),
    };
    for (const [where, text] of Object.entries(places)) expect.soft(text.includes(secret), where).toBe(false);

    // The database holds it in one place only: the pipeline's vars, stored as given for its phases to use.
    const files = ['oj.db', 'oj.db-wal'].filter((f) => existsSync(join(t.stateDir, f)));
    expect(files.some((f) => readFileSync(join(t.stateDir, f)).includes(secret))).toBe(true);
    const cells = withDb(join(t.stateDir, 'oj.db'), (db) => {
      const found: string[] = [];
      const tables = db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[];
      for (const { name } of tables) {
        for (const row of db.prepare(`SELECT * FROM "${name}"`).all() as Record<string, unknown>[]) {
          for (const [column, value] of Object.entries(row)) {
            const text = Buffer.isBuffer(value) ? value.toString('latin1') : String(value);
            if (text.includes(secret)) found.push(`${name}.${column}`);
          }
        }
      }
      return found;
    });
    expect(cells).toEqual(['pipelines.vars']);
  });
});
