/**
 * Issue 22: the web dashboard, in a real browser. One ojd and one headless
 * Chromium (Debian's, driven by playwright-core; nothing is downloaded) for
 * the whole file: `oj ui --no-open --print-url` gives the address; the
 * overview shows a running pipeline and an open escalation with its options;
 * a click resolves it (and `oj` sees it resolved); the session page shows
 * the fake agent's output live and types into it once "take control" is on;
 * a redrive empties the dead letters; a daemon restart is caught up with.
 * The guard (no token, a foreign Host, no CSRF token) is checked with plain
 * HTTP requests. Each page's screenshot is saved to test/.artifacts/ui/.
 * Without /usr/bin/chromium the file is skipped with the reason (under
 * CI=true it fails instead).
 */
import { existsSync, mkdirSync, mkdtempSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { QueueMethods } from '@oj/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO, TestEnv, makeProject, waitFor } from './helpers/ojd-harness.js';
import { Rpc } from './helpers/rpc-call.js';

const CHROMIUM = '/usr/bin/chromium';
const SHOTS = join(REPO, 'test', '.artifacts', 'ui');
const FAKE = `node ${join(REPO, 'scripts', 'fake-agent.mjs')}`;
const haveChromium = existsSync(CHROMIUM);
const ci = process.env.CI === 'true';
if (!haveChromium && !ci) console.warn(`test/ui.e2e.test.ts skipped: no ${CHROMIUM} (apt-get install chromium; .ci/run installs it)`);

const RUNBOOK = `
[command.ship]
args = "<name>"
run = { pipeline = "ship" }

[pipeline.ship]
inputs = ["name"]

[[pipeline.ship.phase]]
name = "check"
run = "test -f ok-{name}"
on_fail = ["escalate"]

[[pipeline.ship.phase]]
name = "release"
run = "echo released {name}"

[command.slow]
args = "<name>"
run = { pipeline = "slow" }

[pipeline.slow]
inputs = ["name"]

[[pipeline.slow.phase]]
name = "wait"
lock = "deploy"
run = "i=0; while [ ! -f stop-{name} ]; do i=$((i+1)); echo tick $i; sleep 0.2; done"
on_fail = "cleanup"
next = "finish"

[[pipeline.slow.phase]]
name = "cleanup"
run = "echo cleaning"
next = "wait"

[[pipeline.slow.phase]]
name = "finish"
run = "echo finished"

[command.talk]
args = "<name>"
run = { pipeline = "talk" }

[pipeline.talk]
inputs = ["name"]

[[pipeline.talk.phase]]
name = "work"
agent = "fake"
semaphore = "agents"

[lock.deploy]

[semaphore.agents]
max = 2

[cron.nightly]
schedule = "0 3 * * *"
run = "true"

[agent.fake]
command = "${FAKE}"
prompt_file = "prompts/fake.md"

[queue.bugs]
`;

const PROMPT = 'The fake agent.\n```fake-agent\n[{"print":"hello from the fake agent"},{"waitInput":"xyzzy"},{"print":"thanks, bye"}]\n```\n';

/** A plain HTTP request with the headers given (a browser would not let a page set Host). */
function get(url: string, headers: Record<string, string>, body?: string): Promise<{ status: number; headers: Record<string, unknown>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { headers, method: body === undefined ? 'GET' : 'POST' }, (res) => {
      let body = '';
      res.on('data', (d: Buffer) => (body += d.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe.skipIf(!haveChromium && !ci)('the web dashboard in a browser', { timeout: 120_000 }, () => {
  let t: TestEnv;
  let root: string;
  let rpc: Rpc;
  let link: string;
  let context: BrowserContext;
  let page: Page;
  const shot = async (name: string) => {
    await page.evaluate('window.scrollTo(0, 0)');
    await page.screenshot({ path: join(SHOTS, `${name}.png`), fullPage: true });
  };
  const oj = (args: string[]) => t.oj(args, { cwd: root });

  beforeAll(async () => {
    if (!haveChromium) throw new Error(`no ${CHROMIUM}: the browser tests need Debian's chromium (.ci/run installs it)`);
    mkdirSync(SHOTS, { recursive: true });
    t = new TestEnv();
    await t.startDaemon();
    root = makeProject(t, 'proj', { demo: RUNBOOK });
    mkdirSync(join(root, 'prompts'));
    const { writeFileSync } = await import('node:fs');
    writeFileSync(join(root, 'prompts', 'fake.md'), PROMPT);
    rpc = await Rpc.connect(t.socket);
    for (const [cmd, name] of [['ship', 'a'], ['slow', 'b'], ['talk', 'c']]) expect((await oj(['run', cmd!, name!])).exitCode).toBe(0);
    expect((await oj(['cron', 'enable', 'nightly'])).exitCode).toBe(0);
    await waitFor('the escalation', async () => (await t.ojJson<unknown[]>(['escalation', 'list'], { cwd: root })).length === 1, 30_000);
    const r = await oj(['ui', '--no-open', '--print-url']);
    expect(r.exitCode, r.stderr).toBe(0);
    link = r.stdout.trim();
    expect(link).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]{16,}$/);
    const flags = ['--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];
    if (process.getuid?.() === 0) flags.push('--no-sandbox');
    context = await chromium.launchPersistentContext(mkdtempSync(join(t.root, 'chromium-')), {
      executablePath: CHROMIUM,
      headless: true,
      args: flags,
      viewport: { width: 1280, height: 900 },
    });
    page = await context.newPage();
    // Logged in once (the token becomes a cookie) for every test, whichever run.
    expect((await page.goto(link))?.status()).toBe(200);
  });

  afterAll(async () => {
    await context?.close();
    rpc?.close();
    if (t) {
      await oj(['ui', '--stop']);
      await t.cleanup();
    }
  });

  it('oj daemon status shows the dashboard; a second oj ui reuses it', async () => {
    const s = await t.ojJson<{ ui: { url: string; pid: number } | null }>(['daemon', 'status'], { cwd: root });
    expect(s.ui?.url).toBe(link.replace(/\?token=.*/, ''));
    expect((await oj(['daemon', 'status'])).stdout).toContain(`dashboard  ${s.ui!.url}`);
    const again = await oj(['ui', '--no-open']);
    expect(again.stdout).toContain(link);
    expect(again.stdout).toContain(`already running (pid ${s.ui!.pid})`);
  });

  it('refuses a request without the token, with a wrong one, or with a foreign Host header (403), and sends no CORS header', async () => {
    const base = link.replace(/\?token=.*/, '');
    const host = new URL(base).host;
    const token = new URL(link).searchParams.get('token')!;
    expect((await get(base, { Host: host })).status).toBe(403);
    expect((await get(`${base}static/app.js`, { Host: host })).status).toBe(403);
    expect((await get(`${base}?token=not-the-token`, { Host: host })).status).toBe(403);
    const foreign = await get(link, { Host: 'evil.example:80' });
    expect(foreign.status).toBe(403);
    expect(foreign.body).toMatch(/answers only to 127\.0\.0\.1/);
    expect((await get(link, { Host: `evil.example:${new URL(base).port}` })).status).toBe(403);
    const ok = await get(base, { Host: host, Cookie: `oj_ui_${new URL(base).port}=${token}`, Origin: 'http://evil.example' });
    expect(ok.status).toBe(200);
    expect(ok.body).toContain('slow-b'); // the page as it is without the script
    expect(Object.keys(ok.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
    // A change needs the page's CSRF token (a form of another site has the cookie but not it), and is refused from another origin.
    const form = { Host: host, Cookie: `oj_ui_${new URL(base).port}=${token}`, 'Content-Type': 'application/x-www-form-urlencoded' };
    expect((await get(`${base}act/escalation/1`, form, 'choice=5')).status).toBe(403);
    const csrf = /<meta name="oj-csrf" content="([^"]+)">/.exec(ok.body)![1]!;
    expect((await get(`${base}act/escalation/1`, { ...form, Origin: 'http://evil.example' }, `choice=5&csrf=${csrf}`)).status).toBe(403);
    expect((await t.ojJson<{ status: string }[]>(['escalation', 'list'], { cwd: root })).map((e) => e.status)).toEqual(['open']);
    // With the token, from its page (a plain form, no script): through to the daemon, whose answer is the page's.
    const missing = await get(`${base}act/escalation/999`, { ...form, Origin: `http://${host}` }, `choice=1&csrf=${csrf}&back=/`);
    expect(missing.status).toBe(404);
    expect(missing.body).toMatch(/escalation not found: 999/);
  });

  it('the overview lists the running pipeline and the open escalation with its options', async () => {
    await page.goto(link);
    expect(new URL(page.url()).search).toBe(''); // the token went into a cookie
    const pipelines = page.locator('#pipelines');
    await pipelines.getByRole('link', { name: 'slow-b' }).waitFor();
    await expect(pipelines.locator('tr', { hasText: 'slow-b' }).textContent()).resolves.toMatch(/running/);
    // Locks and semaphores with their holders; crons with their next run.
    await expect(page.locator('#locks tr', { hasText: 'deploy' }).textContent()).resolves.toMatch(/slow-b \(wait\)/);
    await expect(page.locator('#semaphores tr', { hasText: 'agents' }).textContent()).resolves.toMatch(/1\/2.*talk-c \(work\)/);
    await expect(page.locator('#sec-crons tr', { hasText: 'nightly' }).textContent()).resolves.toMatch(/in \d+/);
    const need = page.locator('#needs article', { hasText: 'ship-a' });
    await need.waitFor();
    const options = await need.getByRole('button').allTextContents();
    expect(options).toEqual(expect.arrayContaining(['retry the phase "check"', 'cancel the pipeline', 'dismiss (do nothing)']));
    await shot('overview');
  });

  it('clicking an option resolves the escalation: it leaves the page, and oj sees it resolved', async () => {
    await page.goto(link);
    const need = page.locator('#needs article', { hasText: 'ship-a' });
    await need.getByRole('button', { name: /mark the phase "check" done/ }).click();
    await page.locator('#flash', { hasText: 'resolved: done' }).waitFor();
    await need.waitFor({ state: 'detached' });
    const all = await t.ojJson<{ pipeline: string; status: string; resolution: string | null }[]>(['escalation', 'list', '--status', 'all'], { cwd: root });
    expect(all.find((e) => e.pipeline === 'ship-a')).toMatchObject({ status: 'resolved', resolution: 'done' });
    expect((await oj(['pipeline', 'wait', 'ship-a', '--timeout', '30s'])).exitCode).toBe(0);
  });

  it("the pipeline page draws the phase graph with the current phase and its log grows live", async () => {
    await page.goto(link.replace(/\?token=.*/, 'pipeline/slow-b'));
    await expect(page.locator('svg.phase-graph .g-current').textContent()).resolves.toMatch(/wait/);
    expect(await page.locator('svg.phase-graph desc').textContent()).toMatch(/wait fails → cleanup/);
    const ticks = async () => Math.max(0, ...[...((await page.locator('#log').textContent()) ?? '').matchAll(/tick (\d+)/g)].map((m) => Number(m[1])));
    const first = await ticks();
    await waitFor('the log to grow while the page is open', async () => (await ticks()) > first + 3, 30_000);
    await shot('pipeline');
  });

  it("the session page shows the fake agent's output live; typing reaches it only with take control on", async () => {
    const sessions = await t.ojJson<{ id: string; pipeline: string }[]>(['session', 'list'], { cwd: root });
    const id = sessions.find((s) => s.pipeline === 'talk-c')!.id;
    await page.goto(link.replace(/\?token=.*/, `session/${id}`));
    const term = page.locator('#term .xterm-rows');
    await waitFor('the agent output in the terminal', async () => ((await term.textContent()) ?? '').includes('hello from the fake agent'), 30_000);
    await page.locator('#term').click();
    await page.keyboard.type('nope\n');
    await page.getByRole('switch', { name: /Take control/ }).check();
    await page.keyboard.type('xyzzy\n');
    await waitFor('the agent to answer what was typed', async () => ((await term.textContent()) ?? '').includes('thanks, bye'), 30_000);
    const rows = (await page.locator('#term .xterm-rows > div').allTextContents()).map((r) => r.replace(/\u00a0/g, ' ').trimEnd());
    // Typing goes where the agent's cursor is (sessions.attach says where), not after the screen's last text.
    expect(rows.slice(0, 4)).toEqual(['prompt: The fake agent.', 'hello from the fake agent', 'xyzzy', 'got: xyzzy']);
    expect(rows.join('\n')).not.toContain('nope');
    // The system's dark setting gives the dark theme.
    await page.emulateMedia({ colorScheme: 'dark' });
    expect(await page.evaluate("getComputedStyle(document.body).backgroundColor")).toBe('rgb(13, 17, 23)');
    await shot('session');
    await page.emulateMedia({ colorScheme: 'light' });
    expect((await oj(['pipeline', 'wait', 'talk-c', '--timeout', '30s'])).exitCode).toBe(0);
  });

  it('the queue page redrives a dead letter', async () => {
    await rpc.call(QueueMethods.Add, { project: root, queue: 'bugs', items: [{ id: 'b1', title: 'crash' }] });
    await rpc.call(QueueMethods.Bury, { project: root, queue: 'bugs', id: 'b1', reason: 'gave up' });
    await page.goto(link.replace(/\?token=.*/, `queue?project=${encodeURIComponent(root)}&name=bugs`));
    const dead = page.locator('#dead');
    await dead.locator('tr', { hasText: 'b1' }).waitFor();
    await shot('queue');
    await dead.locator('tr', { hasText: 'b1' }).getByRole('button', { name: 'Redrive' }).click();
    await dead.getByText('No dead letters.').waitFor();
    const { items } = await rpc.call(QueueMethods.List, { project: root, queue: 'bugs' });
    expect(items.find((i) => i.id === 'b1')?.status).toBe('pending');
  });

  it('the events page follows the daemon through a restart and catches up', async () => {
    await page.goto(link.replace(/\?token=.*/, `events?name=${encodeURIComponent('test:*')}`));
    expect((await oj(['emit', 'test:before'])).exitCode).toBe(0);
    await page.locator('#event-list', { hasText: 'test:before' }).waitFor();
    await shot('events');
    rpc.close();
    expect((await oj(['daemon', 'stop'])).exitCode).toBe(0);
    await page.locator('#conn', { hasText: /daemon is not answering/ }).waitFor();
    await t.startDaemon();
    expect((await oj(['emit', 'test:after'])).exitCode).toBe(0);
    await page.locator('#event-list', { hasText: 'test:after' }).waitFor({ timeout: 30_000 });
    await expect(page.locator('#conn').textContent()).resolves.toBe('');
    rpc = await Rpc.connect(t.socket);
  });
});
