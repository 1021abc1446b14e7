/**
 * Two (or more) real ojd on one PostgreSQL, each with its own state dir,
 * socket, OJ_HOST_ID and checkout of one project (the same `[project]
 * name`, different paths), for the cluster suites. A file's PostgreSQL is
 * started once (PgServer); each cluster gets a fresh database.
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DaemonMethods } from '@oj/protocol';
import { TestEnv, makeProject, waitFor } from './ojd-harness.js';
import { Rpc } from './rpc-call.js';
import type { PgServer } from '../pg/pg-server.js';

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
  readonly hosts: Host[] = [];
  private readonly envs: TestEnv[] = [];
  /** A directory every host's commands write to (SHARED in a runbook). */
  shared = '';
  url = '';

  constructor(private readonly server: () => PgServer) {}

  /** Two daemons, host-a and host-b (see start). */
  async pair(runbook: string, extraEnv: Record<string, string> = {}): Promise<[Host, Host]> {
    const [a, b] = await this.start(['host-a', 'host-b'], runbook, extraEnv);
    return [a!, b!];
  }

  /** A fresh database and one daemon per name, each with its own checkout of the project (`runbook`: SHARED replaced). */
  async start(names: string[], runbook: string, extraEnv: Record<string, string> = {}): Promise<Host[]> {
    this.url = await this.server().createDatabase('e2e');
    this.shared = join(this.server().dir, '..', `oj-cluster-shared-${process.pid}-${Date.now()}`);
    mkdirSync(this.shared, { recursive: true });
    const text = runbook.replaceAll('SHARED', this.shared);
    const out: Host[] = [];
    for (const name of names) out.push(await this.host(name, text, extraEnv));
    return out;
  }

  private async host(name: string, runbook: string, extraEnv: Record<string, string>): Promise<Host> {
    const t = new TestEnv();
    this.envs.push(t);
    Object.assign(t.env, { OJ_DATABASE_URL: this.url, OJ_HOST_ID: name, ...extraEnv });
    const root = makeProject(t, 'checkout', { work: runbook });
    writeFileSync(join(root, '.oj', 'config.toml'), '[project]\nname = "acme-web"\n');
    writeFileSync(join(root, 'host'), `${name}\n`);
    // A loaded machine starts a daemon slowly (a cluster daemon also migrates and takes the lease).
    const daemon = await t.startDaemon(60_000);
    const h: Host = { name, t, root, rpc: await Rpc.connect(t.socket), daemon };
    this.hosts.push(h);
    // The host serves the project from now on (it loads its runbooks): it may lead it.
    await t.oj(['status'], { cwd: root });
    return h;
  }

  /** Stops a host's daemon (oj daemon stop) and waits until it is gone. */
  async stop(h: Host): Promise<void> {
    h.rpc.close();
    await h.t.oj(['daemon', 'stop'], { cwd: h.root });
    await waitFor(`${h.name} to stop`, () => h.daemon.exitCode !== null || h.daemon.signalCode !== null, 60_000, 50);
  }

  /** Starts a stopped (or killed) host's daemon again, same state dir. */
  async restart(h: Host): Promise<void> {
    h.daemon = await h.t.startDaemon(60_000);
    h.rpc = await Rpc.connect(h.t.socket);
  }

  /** The project's leader in the cluster as `h` sees it (null while none holds its lease). */
  async leader(h: Host, project = 'acme-web'): Promise<{ host: string; term: number } | null> {
    const s = await h.rpc.call(DaemonMethods.Status, {});
    const l = s.cluster?.leaders.find((x) => x.project === project);
    return l?.held ? { host: l.host, term: l.term } : null;
  }

  async cleanup(): Promise<void> {
    for (const h of this.hosts.splice(0)) h.rpc.close();
    for (const t of this.envs.splice(0)) await t.cleanup();
  }
}
