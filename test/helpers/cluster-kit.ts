/**
 * Cluster mode end to end: real ojd on one machine (their own state dirs,
 * sockets and OJ_HOST_ID) serving one project, checked out at a path of
 * each one's own with the same `[project] name`, sharing one real
 * PostgreSQL (test/pg/pg-server.ts) that the test file starts.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DaemonMethods } from '@oj/protocol';
import { TestEnv, makeProject, waitFor } from './ojd-harness.js';
import { Rpc } from './rpc-call.js';
import { afterAll, afterEach, beforeAll } from 'vitest';
import { PgServer, skipWithoutPg } from '../pg/pg-server.js';

export interface Host {
  name: string;
  t: TestEnv;
  root: string;
  rpc: Rpc;
  daemon: Awaited<ReturnType<TestEnv['startDaemon']>>;
}

export function lines(path: string): string[] {
  return existsSync(path) ? readFileSync(path, 'utf8').split('\n').filter(Boolean) : [];
}

export class ClusterKit {
  server: PgServer | null = null;
  /** A directory every host's runbook names as SHARED (files their phases write). */
  shared = '';
  private readonly hosts: Host[] = [];
  private readonly envs: TestEnv[] = [];

  /** For beforeAll. */
  start(): void {
    this.server = PgServer.start();
  }

  /** For afterAll. */
  stop(): void {
    this.server?.stop();
  }

  /** For afterEach: every daemon stopped, every temp dir gone. */
  async cleanup(): Promise<void> {
    for (const h of this.hosts.splice(0)) h.rpc.close();
    for (const t of this.envs.splice(0)) await t.cleanup();
  }

  /** `SHARED/<name>`'s lines. */
  lines(name: string): string[] {
    return lines(join(this.shared, name));
  }

  /**
   * A fresh database and `names.length` daemons on it, each with its checkout
   * of the project (runbook `work`, with SHARED replaced; one text for every
   * host, or by host name: a worker is started cluster-wide, so a host whose
   * runbook does not define it stays out of it). `env` (for every
   * host, or by host name): e.g. a short host lease, only where a test kills
   * a host (a live host on a loaded machine must not look gone).
   */
  async cluster(runbook: string | ((host: string) => string), names: string[] = ['host-a', 'host-b'], env: Record<string, string> | ((host: string) => Record<string, string>) = {}): Promise<Host[]> {
    const url = await this.server!.createDatabase('e2e');
    this.shared = join(this.server!.dir, '..', `oj-cluster-shared-${process.pid}-${Date.now()}`);
    mkdirSync(this.shared, { recursive: true });
    const text = (host: string) => (typeof runbook === 'function' ? runbook(host) : runbook).replaceAll('SHARED', this.shared);
    const out: Host[] = [];
    for (const name of names) out.push(await this.host(name, url, text(name), typeof env === 'function' ? env(name) : env));
    return out;
  }

  /** Two hosts, host-a and host-b. */
  async two(runbook: string | ((host: string) => string), env: Record<string, string> | ((host: string) => Record<string, string>) = {}): Promise<[Host, Host]> {
    return (await this.cluster(runbook, ['host-a', 'host-b'], env)) as [Host, Host];
  }

  private async host(name: string, url: string, runbook: string, env: Record<string, string>): Promise<Host> {
    const t = new TestEnv();
    this.envs.push(t);
    Object.assign(t.env, { OJ_DATABASE_URL: url, OJ_HOST_ID: name, ...env });
    const root = makeProject(t, 'checkout', { work: runbook });
    writeFileSync(join(root, '.oj', 'config.toml'), '[project]\nname = "acme-web"\n');
    writeFileSync(join(root, 'host'), `${name}\n`);
    // A loaded machine starts a daemon slowly (a cluster daemon also migrates and takes the lease).
    const daemon = await t.startDaemon(60_000);
    const rpc = await Rpc.connect(t.socket);
    const h = { name, t, root, rpc, daemon };
    this.hosts.push(h);
    // The host serves the project from now on (it loads its runbooks): it may lead it.
    await t.oj(['status'], { cwd: root });
    return h;
  }

  /** Resolves once the host's daemon process has ended (killed, or killed itself at a fault point). */
  async exited(h: Host): Promise<void> {
    const d = h.daemon;
    if (d.exitCode !== null || d.signalCode !== null) return;
    await new Promise<void>((resolve) => d.once('exit', () => resolve()));
  }

  /** Starts a host's daemon again (same state dir) after it died; `env` replaces what it had for the new one (undefined: unset). */
  async restart(h: Host, env: Record<string, string | undefined> = {}): Promise<void> {
    h.rpc.close();
    for (const [k, v] of Object.entries(env)) {
      if (v === undefined) delete h.t.env[k];
      else h.t.env[k] = v;
    }
    h.daemon = await h.t.startDaemon(60_000);
    h.rpc = await Rpc.connect(h.t.socket);
  }

  /** Stops a host's daemon (oj daemon stop) and waits until it is gone. */
  async stopHost(h: Host): Promise<void> {
    h.rpc.close();
    await h.t.oj(['daemon', 'stop'], { cwd: h.root });
    await waitFor(`${h.name} to stop`, () => h.daemon.exitCode !== null || h.daemon.signalCode !== null, 60_000, 50);
  }

  /** The project's leader in the cluster as `h` sees it (null while none holds its lease). */
  async leader(h: Host, project = 'acme-web'): Promise<{ host: string; term: number } | null> {
    const s = await h.rpc.call(DaemonMethods.Status, {});
    const l = s.cluster?.leaders.find((x) => x.project === project);
    return l?.held ? { host: l.host, term: l.term } : null;
  }
}

/**
 * A test file's cluster: one kit, its PostgreSQL started before the file's
 * tests (not when this machine has none: `skip`, for describe.skipIf), every
 * host stopped and removed after each test, the server at the end.
 */
export function clusterSuite(): { kit: ClusterKit; skip: boolean } {
  const skip = skipWithoutPg();
  const kit = new ClusterKit();
  beforeAll(() => {
    if (!skip) kit.start();
  });
  afterAll(() => kit.stop());
  afterEach(() => kit.cleanup());
  return { kit, skip };
}
