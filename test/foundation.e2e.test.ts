/** Issue: foundation. A real ojd, the real oj, real sockets and SQLite files. */
import { spawn } from 'node:child_process';
import { mkdirSync, statSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import net from 'node:net';
import { Sqlite as BetterSqlite3 } from '../packages/daemon/src/storage/sqlite-driver.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OJD_BIN, RawClient, TestEnv, canConnect, waitFor } from './helpers/ojd-harness.js';

type Resp = { id: unknown; result?: Record<string, unknown>; error?: { code: number; message: string; data?: Record<string, unknown> } };

let t: TestEnv;
beforeEach(() => {
  t = new TestEnv();
});
afterEach(async () => {
  await t.cleanup();
});

describe('JSON-RPC over the socket', () => {
  it('answers spec errors with the right codes and keeps the connection usable', async () => {
    await t.startDaemon();
    const c = await RawClient.connect(t.socket);
    c.send('{not json\n');
    c.send('{"jsonrpc":"2.0","id":1,"method":"no.such.method"}\n');
    c.send('{"jsonrpc":"2.0","id":2,"method":"events.emit","params":{"name":42}}\n');
    c.send('{"hello":"world"}\n');
    c.send('{"jsonrpc":"2.0","id":3,"method":"daemon.ping"}\n');
    const got = (await c.next(5)) as Resp[];
    const byId = (id: unknown) => got.find((r) => r.id === id);
    const nullIds = got.filter((r) => r.id === null).map((r) => r.error?.code).sort();
    expect(nullIds).toEqual([-32700, -32600].sort());
    expect(byId(1)?.error?.code).toBe(-32601);
    expect(byId(1)?.error?.data?.kind).toBe('method_not_found');
    expect(byId(2)?.error?.code).toBe(-32602);
    expect(byId(2)?.error?.data?.issues).toBeTruthy();
    expect(byId(3)?.result?.pong).toBe(true);
    c.close();
  });

  it("answers every example of the JSON-RPC 2.0 spec's section 7 as the spec shows", async () => {
    await t.startDaemon();
    const c = await RawClient.connect(t.socket);
    let syncs = 0;
    let taken = 0;
    const isSync = (m: unknown) => typeof (m as Resp).id === 'string' && String((m as Resp).id).startsWith('sync-');
    /** Sends a ping and waits for its answer; returns every other message that came since the last call. */
    const sync = async (): Promise<unknown[]> => {
      const id = `sync-${++syncs}`;
      c.send(JSON.stringify({ jsonrpc: '2.0', id, method: 'daemon.ping' }) + '\n');
      let all: unknown[] = [];
      await waitFor(id, () => {
        all = [...c.all];
        return all.slice(taken).some((m) => (m as Resp).id === id);
      });
      const fresh = all.slice(taken);
      taken = all.length;
      return fresh.filter((m) => !isSync(m));
    };
    /** Sends one line; returns its one answer, or undefined when (after the sync) none came. */
    const exchange = async (line: string, answers = true): Promise<unknown> => {
      c.send(line + '\n');
      let got: unknown[] = [];
      if (answers) await waitFor('an answer', async () => (got = [...got, ...(await sync())]).length > 0);
      else got = await sync();
      expect(got.length).toBeLessThanOrEqual(1);
      return got[0] === undefined ? undefined : strip(got[0]);
    };
    /** The spec's examples leave messages free; oj adds data.kind to every error. */
    const strip = (v: unknown): unknown => {
      if (Array.isArray(v)) return v.map(strip);
      const r = { ...(v as Resp) } as Record<string, unknown>;
      if (r.error) r.error = { code: (r.error as { code: number }).code };
      if (r.result) r.result = 'ok';
      return r;
    };
    const other = await RawClient.connect(t.socket);
    let asked = 0;
    const eventNames = async (): Promise<string[]> => {
      other.send(JSON.stringify({ jsonrpc: '2.0', id: ++asked, method: 'events.list', params: { name: 'notify:*' } }) + '\n');
      const got = (await other.next(asked)) as { result: { events: { name: string }[] } }[];
      return got[asked - 1]!.result.events.map((e) => e.name);
    };
    const err = (code: number, id: string | number | null) => ({ jsonrpc: '2.0', error: { code }, id });
    const ok = (id: string | number) => ({ jsonrpc: '2.0', result: 'ok', id });

    // rpc call of non-existent method
    expect(await exchange('{"jsonrpc": "2.0", "method": "foobar", "id": "1"}')).toEqual(err(-32601, '1'));
    // rpc call with invalid JSON
    expect(await exchange('{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]')).toEqual(err(-32700, null));
    // rpc call with invalid Request object
    expect(await exchange('{"jsonrpc": "2.0", "method": 1, "params": "bar"}')).toEqual(err(-32600, null));
    // rpc call Batch, invalid JSON
    expect(await exchange('[{"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},{"jsonrpc": "2.0", "method"]')).toEqual(err(-32700, null));
    // rpc call with an empty Array
    expect(await exchange('[]')).toEqual(err(-32600, null));
    // rpc call with an invalid Batch (but not empty)
    expect(await exchange('[1]')).toEqual([err(-32600, null)]);
    // rpc call with invalid Batch
    expect(await exchange('[1,2,3]')).toEqual([err(-32600, null), err(-32600, null), err(-32600, null)]);
    // rpc call Batch
    expect(
      await exchange(
        JSON.stringify([
          { jsonrpc: '2.0', method: 'daemon.ping', id: '1' },
          { jsonrpc: '2.0', method: 'events.emit', params: { name: 'notify:hello' } },
          { jsonrpc: '2.0', method: 'daemon.ping', id: '2' },
          { foo: 'boo' },
          { jsonrpc: '2.0', method: 'foo.get', params: { name: 'myself' }, id: '5' },
          { jsonrpc: '2.0', method: 'daemon.ping', id: '9' },
        ]),
      ),
    ).toEqual([ok('1'), ok('2'), err(-32600, null), err(-32601, '5'), ok('9')]);
    // rpc call Batch (all notifications): nothing is returned
    expect(
      await exchange(
        JSON.stringify([
          { jsonrpc: '2.0', method: 'events.emit', params: { name: 'notify:sum' } },
          { jsonrpc: '2.0', method: 'events.emit', params: { name: 'notify:hello' } },
        ]),
        false,
      ),
    ).toBeUndefined();
    // Both notifications ran (so any answer to them would have been written by now), and still nothing came.
    await waitFor('both notifications', async () => (await eventNames()).filter((n) => n === 'notify:sum').length === 1);
    expect(await sync()).toEqual([]);
    // With an id, a request whose method is not a string is still an invalid request, not an unknown method.
    expect(await exchange('{"jsonrpc": "2.0", "method": 1, "id": 7}')).toEqual(err(-32600, 7));
    c.close();
    other.close();
  });

  it('answers null, [null], [null, request], [[request]], an object id and an id out of range, each as JSON-RPC 2.0 says', async () => {
    await t.startDaemon();
    const c = await RawClient.connect(t.socket);
    const lines = [
      'null',
      '[null]',
      '[null, {"jsonrpc":"2.0","id":"v","method":"daemon.ping"}]',
      '[[{"jsonrpc":"2.0","id":"w","method":"daemon.ping"}]]',
      '{"jsonrpc":"2.0","id":{"a":1},"method":"daemon.ping"}',
      '{"jsonrpc":"2.0","id":1e400,"method":"daemon.ping"}',
      '[{"jsonrpc":"2.0","method":"events.emit","params":{"name":"edge:stored"}}, null]',
    ];
    for (const l of lines) c.send(l + '\n');
    const got = (await c.next(lines.length, 20_000)) as (Resp | Resp[])[];
    const shapeOf = (r: Resp | Resp[]) => (Array.isArray(r) ? r.map((x) => [x.id, x.error?.code ?? 'ok']) : [r.id, r.error?.code ?? 'ok']);
    expect(got.map(shapeOf).map((x) => JSON.stringify(x)).sort()).toEqual(
      [
        [null, -32600], // null
        [[null, -32600]], // [null]
        [[null, -32600], ['v', 'ok']], // [null, request]
        [[null, -32600]], // [[request]]: the member is not a request
        [null, -32600], // an object id is refused, never echoed
        [null, -32600], // 1e400 is no usable id
        [[null, -32600]], // [notification, null]: the notification ran, null gets its error
      ].map((x) => JSON.stringify(x)).sort(),
    );
    c.close();
  });

  it('answers a last request that has no newline when the client half-closes the socket', async () => {
    await t.startDaemon();
    const answer = await new Promise<string>((resolve, reject) => {
      const s = net.connect(t.socket);
      let text = '';
      s.on('data', (d) => (text += d.toString()));
      s.on('end', () => resolve(text));
      s.on('error', reject);
      s.on('connect', () => s.end('{"jsonrpc":"2.0","id":9,"method":"daemon.ping"}'));
    });
    expect(JSON.parse(answer)).toMatchObject({ id: 9, result: { pong: true } });
  });

  it('a batch whose answers would be huge is cut off with an error per request left, and the daemon lives on', async () => {
    await t.startDaemon();
    const c = await RawClient.connect(t.socket);
    c.send(JSON.stringify({ jsonrpc: '2.0', id: 'big', method: 'events.emit', params: { name: 'bomb:big', data: { blob: 'x'.repeat(3_900_000) } } }) + '\n');
    await c.next(1, 20_000);
    const batch = Array.from({ length: 1100 }, (_, i) => ({ jsonrpc: '2.0', id: i, method: 'events.list', params: { name: 'bomb:big', limit: 1 } }));
    c.send(JSON.stringify(batch) + '\n');
    const [, answers] = (await c.next(2, 120_000)) as [Resp, Resp[]];
    expect(answers).toHaveLength(1100);
    const ok = answers.filter((a) => a.result);
    const cut = answers.filter((a) => a.error?.data?.kind === 'batch_too_large');
    expect(ok.length).toBeGreaterThan(0);
    expect(ok.length + cut.length).toBe(1100);
    expect(cut.length).toBeGreaterThan(1000);
    c.send('{"jsonrpc":"2.0","id":"after","method":"daemon.ping"}\n');
    const [, , after] = (await c.next(3, 20_000)) as Resp[];
    expect(after).toMatchObject({ id: 'after', result: { pong: true } });
    c.close();
  });

  it('closes a connection idle past idle_timeout, but not one that follows something', async () => {
    t.env.OJ_IDLE_TIMEOUT = '1s';
    await t.startDaemon();
    const idle = net.connect(t.socket);
    let idleClosed = false;
    idle.on('close', () => (idleClosed = true));
    idle.on('error', () => {});
    const follower = await RawClient.connect(t.socket);
    follower.send('{"jsonrpc":"2.0","id":1,"method":"events.follow","params":{"name":"idle:*","since":0}}\n');
    await follower.next(1);
    await waitFor('the idle connection closed by the daemon', () => idleClosed, 30_000);
    // The follower was idle as long, and still gets what it follows.
    {
      const c = await RawClient.connect(t.socket);
      c.send('{"jsonrpc":"2.0","id":2,"method":"events.emit","params":{"name":"idle:still-here"}}\n');
      await c.next(1);
      c.close();
    }
    const [, note] = (await follower.next(2, 10_000)) as [Resp, { method: string; params: { event: { name: string } } }];
    expect(note.params.event.name).toBe('idle:still-here');
    follower.close();
  });

  it('512 idle connections do not lock clients out; when all are busy, oj says "too many connections"', async () => {
    await t.startDaemon();
    const open = async (follow: boolean): Promise<net.Socket> => {
      const s = net.connect(t.socket);
      s.on('error', () => {});
      s.resume();
      // (Under load 512 connects at once can overflow the listen backlog: EAGAIN is an error, never a connect.)
      await new Promise<void>((resolve) => {
        s.once('connect', () => resolve());
        s.once('error', () => resolve());
      });
      if (follow) s.write('{"jsonrpc":"2.0","id":1,"method":"events.follow","params":{"name":"nothing:*"}}\n');
      return s;
    };
    const idle = await Promise.all(Array.from({ length: 512 }, () => open(false)));
    // Once they have been idle a moment, a newcomer takes the place of the idlest.
    await waitFor('oj daemon status to get in', async () => (await t.oj(['daemon', 'status'])).exitCode === 0, 30_000, 200);
    for (const s of idle) s.destroy();
    await waitFor('the idle ones gone', async () => {
      const st = await t.ojJson<{ counts: { connections: number } }>(['daemon', 'status']);
      return st.counts.connections <= 2;
    }, 30_000, 200);
    const busy: net.Socket[] = [];
    for (let i = 0; i < 511; i++) busy.push(await open(true));
    // The status call itself is the 512th; one more holder makes every slot busy.
    busy.push(await open(true));
    const refused = await t.oj(['daemon', 'status']);
    expect(refused.exitCode).not.toBe(0);
    expect(refused.stderr).toMatch(/too many connections/);
    for (const s of busy) s.destroy();
  });

  it('follows a 40 MB backlog to the end, page by page with flow control, each event once, then live ones', async () => {
    await t.startDaemon();
    const w = await RawClient.connect(t.socket);
    const N = 20_000;
    const pad = 'p'.repeat(2000);
    for (let b = 0; b < N / 100; b++) {
      w.send(JSON.stringify(Array.from({ length: 100 }, (_, i) => ({ jsonrpc: '2.0', id: b * 100 + i, method: 'events.emit', params: { name: 'backlog:x', data: { n: b * 100 + i, pad } } }))) + '\n');
    }
    await w.next(N / 100, 120_000);
    w.close();
    const follower = await RawClient.connect(t.socket);
    follower.send('{"jsonrpc":"2.0","id":"f","method":"events.follow","params":{"name":"backlog:*","since":0}}\n');
    // Another client is served meanwhile.
    const other = await RawClient.connect(t.socket);
    await follower.next(2, 30_000);
    other.send('{"jsonrpc":"2.0","id":"ping","method":"daemon.ping"}\n');
    await other.next(1, 30_000);
    const all = (await follower.next(N + 1, 120_000)) as { method?: string; params?: { event: { data: { n: number } } } }[];
    const ns = all.filter((m) => m.method === 'events.event').map((m) => m.params!.event.data.n);
    expect(ns).toEqual(Array.from({ length: N }, (_, i) => i));
    // Live events follow the backlog, once each.
    other.send('{"jsonrpc":"2.0","id":"live","method":"events.emit","params":{"name":"backlog:x","data":{"n":-1}}}\n');
    const more = (await follower.next(N + 2, 30_000)) as { params?: { event: { data: { n: number } } } }[];
    expect(more[N + 1]!.params!.event.data.n).toBe(-1);
    follower.close();
    other.close();
  }, 300_000);

  it('answers a batch with a batch, and notifications with nothing', async () => {
    await t.startDaemon();
    const c = await RawClient.connect(t.socket);
    c.send(
      JSON.stringify([
        { jsonrpc: '2.0', id: 'a', method: 'daemon.ping' },
        { jsonrpc: '2.0', method: 'events.emit', params: { name: 'note:only' } },
        { jsonrpc: '2.0', id: 'b', method: 'events.list', params: { name: 'note:*' } },
      ]) + '\n',
    );
    const [batch] = (await c.next(1)) as Resp[][];
    expect(Array.isArray(batch)).toBe(true);
    expect(batch!.map((r) => r.id).sort()).toEqual(['a', 'b']);
    c.close();
  });

  it('refuses an over-long line with an error and stays usable', async () => {
    await t.startDaemon();
    const c = await RawClient.connect(t.socket);
    c.send('"' + 'x'.repeat(5 * 1024 * 1024) + '"\n');
    c.send('{"jsonrpc":"2.0","id":7,"method":"daemon.ping"}\n');
    const got = (await c.next(2)) as Resp[];
    expect(got[0]?.error?.code).toBe(1008);
    expect(got[0]?.error?.data?.limit).toBe(4 * 1024 * 1024);
    expect(got[1]?.result?.pong).toBe(true);
    c.close();
  });

  it('rejects a client of another version with the command that fixes it', async () => {
    await t.startDaemon();
    const c = await RawClient.connect(t.socket);
    c.send('{"jsonrpc":"2.0","id":1,"method":"daemon.hello","params":{"clientVersion":"0.0.1","protocolVersion":0}}\n');
    const [r] = (await c.next(1)) as Resp[];
    expect(r?.error?.code).toBe(1005);
    expect(String(r?.error?.data?.hint)).toContain('oj daemon restart');
    c.close();
  });
});

describe('daemon lifecycle', () => {
  it('keeps its socket 0600 in a 0700 directory, and its state dir 0700', async () => {
    await t.startDaemon();
    expect(statSync(t.socket).mode & 0o777).toBe(0o600);
    expect(statSync(t.stateDir).mode & 0o777).toBe(0o700);
    expect(statSync(join(t.stateDir, 'oj.db')).mode & 0o077).toBe(0);
  });

  it('refuses a second daemon on the same state dir and socket', async () => {
    await t.startDaemon();
    const second = spawn(process.execPath, [OJD_BIN, '--quiet'], { env: t.env, stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    second.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((r) => second.on('exit', r));
    expect(code).not.toBe(0);
    expect(stderr).toMatch(/already running/);
    expect(await canConnect(t.socket)).toBe(true);
  });

  it('auto-starts on any command, and daemon start/status/stop behave', async () => {
    expect(existsSync(t.socket)).toBe(false);
    const overview = await t.ojJson<{ daemon: { pid: number; version: string } }>(['status']);
    const s = overview.daemon;
    expect(s.pid).toBeGreaterThan(0);
    const again = await t.oj(['daemon', 'start']);
    expect(again.stdout).toMatch(/already running/);
    const st = await t.ojJson<{ running: boolean; pid: number }>(['daemon', 'status']);
    expect(st).toMatchObject({ running: true, pid: s.pid });
    const stop = await t.oj(['daemon', 'stop']);
    expect(stop.exitCode).toBe(0);
    expect(existsSync(t.socket)).toBe(false);
    const after = await t.oj(['daemon', 'status']);
    expect(after.exitCode).toBe(1);
    expect(after.stdout).toMatch(/not running/);
    const start = await t.oj(['daemon', 'start']);
    expect(start.exitCode).toBe(0);
    expect(start.stdout).toMatch(/ojd started/);
  });

  it('an unreachable cluster database at start: the daemon says it does not start (not that shared work waits)', async () => {
    // No PostgreSQL listens on this socket directory.
    const url = `postgresql://postgres@/oj?host=${join(t.stateDir, 'no-pg')}`;
    const r = await t.oj(['daemon', 'start'], { env: { OJ_DATABASE_URL: url } });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/could not start ojd: failed to start: the cluster database \(postgresql:\/\/postgres@\/oj\?host=\S+\) cannot be reached: .+; the daemon does not start in cluster mode without it/);
    expect(r.stderr).not.toMatch(/refused until it is back/);
    expect(await canConnect(t.socket)).toBe(false);
  });

  it("shows the daemon's own error when an auto-start fails", async () => {
    mkdirSync(t.stateDir, { recursive: true, mode: 0o700 });
    const db = new BetterSqlite3(join(t.stateDir, 'oj.db'));
    db.pragma('user_version = 999');
    db.close();
    const r = await t.oj(['status']);
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/could not start ojd: failed to start: .*schema version 999.*newer oj/);
  });

  it('replaces a stale socket after kill -9 and keeps every acknowledged event', async () => {
    const d = await t.startDaemon();
    const ids: number[] = [];
    for (let i = 0; i < 5; i++) {
      const r = await t.ojJson<{ id: number }>(['emit', 'test:kill', '--id', `e${i}`, '--data', `n=${i}`]);
      ids.push(r.id);
    }
    d.kill('SIGKILL');
    await waitFor('ojd to die', () => d.exitCode !== null || d.signalCode !== null);
    expect(existsSync(t.socket)).toBe(true);
    await t.startDaemon();
    const events = await t.oj(['events', '--name', 'test:kill', '--json']);
    const listed = events.stdout.trim().split('\n').map((l) => JSON.parse(l) as { id: number; subject: string });
    expect(listed.map((e) => e.id)).toEqual(ids);
    expect(listed.map((e) => e.subject)).toEqual(['e0', 'e1', 'e2', 'e3', 'e4']);
  });

  it('stops gracefully on SIGTERM, removing socket and pid file', async () => {
    const d = await t.startDaemon();
    d.kill('SIGTERM');
    await waitFor('ojd to exit', () => d.exitCode !== null);
    expect(d.exitCode).toBe(0);
    expect(existsSync(t.socket)).toBe(false);
    expect(existsSync(join(t.stateDir, 'ojd.pid'))).toBe(false);
  });

  it('refuses a socket in a directory owned by someone else', async () => {
    if (process.getuid?.() !== 0) return; // needs a directory we do not own; as root we can chown one
    const dir = join(t.root, 'foreign');
    mkdirSync(dir, { mode: 0o777 });
    const { chownSync } = await import('node:fs');
    chownSync(dir, 65534, 65534);
    const r = await t.oj(['status'], { env: { OJ_SOCKET: join(dir, 'ojd.sock') } });
    expect(r.exitCode).toBe(1);
    expect(r.stderr).toMatch(/owned by uid 65534/);
  });
});

describe('events', () => {
  it('oj events --follow shows an event emitted from another process, live', async () => {
    await t.startDaemon();
    const follower = t.ojSpawn(['events', '--follow', '--json', '--name', 'live:*']);
    let out = '';
    follower.stdout?.on('data', (d: Buffer) => (out += d.toString()));
    // The follow is attached once the daemon has answered its first request on that connection.
    await waitFor('follower to attach', async () => {
      const s = await t.ojJson<{ counts: { connections: number } }>(['daemon', 'status']);
      return s.counts.connections >= 2;
    });
    await t.oj(['emit', 'live:one', '--data', 'k=v']);
    await waitFor('event on the follower', () => out.includes('"live:one"'));
    expect(JSON.parse(out.trim().split('\n')[0]!)).toMatchObject({ name: 'live:one', data: { k: 'v' } });
    follower.kill('SIGINT');
    await follower;
  });

  it('emit rejects a bad name and bad --data with usage errors', async () => {
    await t.startDaemon();
    const bad = await t.oj(['emit', 'has space']);
    expect(bad.exitCode).toBe(2);
    expect(bad.stderr).toMatch(/invalid params for events.emit/);
    const badData = await t.oj(['emit', 'x:y', '--data', 'novalue']);
    expect(badData.exitCode).toBe(2);
    expect(badData.stderr).toMatch(/key=value/);
  });
});

describe('oj emit data options', () => {
  it('oj emit takes any other --KEY VALUE as a data field, verbatim; other commands still reject unknown options', async () => {
    await t.startDaemon();
    const e = await t.ojJson<{ name: string; subject: string; data: Record<string, unknown> }>([
      'emit', 'pipeline:phase', '--id', 'build-auth', '--phase', 'merge', '--data', 'k=v', '--count', '007',
    ]);
    expect(e).toMatchObject({ name: 'pipeline:phase', subject: 'build-auth', data: { phase: 'merge', k: 'v', count: '007' } });
    const help = await t.oj(['emit', '--help']);
    expect(help.stdout).toMatch(/\[--KEY VALUE\]/);
    const noValue = await t.oj(['emit', 'x:y', '--phase']);
    expect(noValue.exitCode).toBe(2);
    expect(noValue.stderr).toMatch(/--phase needs a value/);
    const extraWord = await t.oj(['emit', 'x:y', 'stray']);
    expect(extraWord.exitCode).toBe(2);
    expect(extraWord.stderr).toMatch(/unexpected argument "stray"/);
    const typo = await t.oj(['pipeline', 'list', '--stauts', 'done']);
    expect(typo.exitCode).toBe(2);
    expect(typo.stderr).toMatch(/Unknown argument: stauts/);
  });
});

describe('usage errors', () => {
  it('an unknown command prints usage and exits 2', async () => {
    const r = await t.oj(['frobnicate']);
    expect(r.exitCode).toBe(2);
    expect(r.stderr).toMatch(/Usage: oj/);
  });

  it('writes nothing to the state dir for a usage error', async () => {
    await t.oj(['emit']);
    expect(existsSync(t.stateDir)).toBe(false);
    writeFileSync(join(t.root, 'x'), '');
  });
});
