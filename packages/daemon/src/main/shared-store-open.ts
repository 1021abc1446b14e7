/**
 * Which shared store the daemon uses: PostgreSQL when a database URL is set
 * (cluster mode, docs/cluster.md), else its own SQLite (nothing to set up).
 * The Postgres modules (and `pg`) are loaded only in cluster mode.
 */
import type { ClusterStatus } from '@oj/protocol';
import type { Logger } from 'winston';
import { redactUrl, type ClusterConfig } from '../maintenance/cluster-config.js';
import type { ProjectRegistry } from '../projects/project-registry.js';
import type { SharedStore } from '../storage/shared-store.js';
import { SqliteSharedStore } from '../storage/sqlite-shared-store.js';
import type { Storage } from '../storage/storage.js';

export async function openSharedStore(
  cluster: ClusterConfig,
  storage: Storage,
  projects: Pick<ProjectRegistry, 'peek' | 'roots'>,
  logger: Logger,
  env: NodeJS.ProcessEnv = process.env,
): Promise<SharedStore> {
  if (cluster.databaseUrl === null) return new SqliteSharedStore(storage, cluster.hostId);
  const [{ PgSharedStore }, { RegistryProjectNames }] = await Promise.all([import('../cluster/pg-shared-store.js'), import('../cluster/project-names.js')]);
  const lease = env.OJ_HOST_LEASE_MS ? Number(env.OJ_HOST_LEASE_MS) : undefined;
  const store = await PgSharedStore.open({
    url: cluster.databaseUrl,
    hostId: cluster.hostId,
    storage,
    names: new RegistryProjectNames(projects),
    logger,
    ...(lease && Number.isFinite(lease) && lease > 0 ? { leaseMs: lease } : {}),
  });
  logger.info('cluster mode', { host: cluster.hostId, database: redactUrl(cluster.databaseUrl) });
  return store;
}

/** The cluster part of `oj daemon status` (null on its own). */
export async function clusterStatus(shared: SharedStore, cluster: ClusterConfig): Promise<ClusterStatus | null> {
  if (shared.kind === 'sqlite' || cluster.databaseUrl === null) return null;
  const iso = (ms: number) => new Date(ms).toISOString();
  let hosts: ClusterStatus['hosts'] = [];
  try {
    hosts = (await shared.hosts()).map((h) => ({ host: h.host, startedAt: iso(h.startedAt), heartbeatAt: iso(h.heartbeatAt), gone: h.gone }));
  } catch {
    // unreachable: said by `reachable`
  }
  return { hostId: shared.hostId, database: redactUrl(cluster.databaseUrl), reachable: shared.reachable, hosts };
}
