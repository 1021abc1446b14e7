import { describe, expect, it } from 'vitest';
import { ClusterConfigError, defaultHostId, parseClusterConfig } from '../maintenance/cluster-config.js';
import { normaliseOrigin, projectIdentity } from './project-identity.js';

describe('cluster config', () => {
  it('is single-host without a database URL', () => {
    const c = parseClusterConfig(undefined, 'cfg', '/s', {});
    expect(c.databaseUrl).toBeNull();
    expect(c.hostId).toBe(defaultHostId('/s'));
  });

  it('takes the URL and host id from the file, the environment winning', () => {
    const doc = { database_url: 'postgresql://oj@/ojdb?host=/run/postgresql', host_id: 'a1' };
    expect(parseClusterConfig(doc, 'cfg', '/s', {})).toMatchObject({ databaseUrl: doc.database_url, hostId: 'a1' });
    const env = { OJ_DATABASE_URL: 'postgres://u:p@db/x', OJ_HOST_ID: 'b2' };
    expect(parseClusterConfig(doc, 'cfg', '/s', env)).toMatchObject({ databaseUrl: env.OJ_DATABASE_URL, hostId: 'b2' });
  });

  it('two state dirs on one machine get different default host ids', () => {
    expect(defaultHostId('/a', 'box')).not.toBe(defaultHostId('/b', 'box'));
    expect(defaultHostId('/a', 'box')).toMatch(/^box-[0-9a-f]{6}$/);
  });

  it('refuses what is not a postgres URL, unknown keys and bad host ids, naming where', () => {
    expect(() => parseClusterConfig(undefined, 'cfg', '/s', { OJ_DATABASE_URL: 'mysql://x/y' })).toThrow(/OJ_DATABASE_URL: expected a postgresql:\/\/ URL/);
    expect(() => parseClusterConfig(undefined, 'cfg', '/s', { OJ_DATABASE_URL: 'postgresql://x' })).toThrow(/names no database/);
    expect(() => parseClusterConfig({ databse_url: 'x' }, 'cfg', '/s', {})).toThrow(/did you mean "database_url"/);
    expect(() => parseClusterConfig(undefined, 'cfg', '/s', { OJ_HOST_ID: 'a b' })).toThrow(ClusterConfigError);
  });
});

describe('project identity', () => {
  it('normalises the forms of one origin to one name', () => {
    for (const u of ['git@github.com:acme/web.git', 'https://github.com/acme/web', 'ssh://git@GitHub.com:22/acme/web.git/', 'https://user@github.com/acme/web.git']) {
      expect(normaliseOrigin(u)).toBe('github.com/acme/web');
    }
  });

  it('prefers [project] name, then the origin, then the directory name', () => {
    expect(projectIdentity('/x/web', 'acme', () => 'git@h:a/b.git')).toBe('acme');
    expect(projectIdentity('/x/web', null, () => 'git@h:a/b.git')).toBe('h/a/b');
    expect(projectIdentity('/x/web', null, () => null)).toBe('web');
  });
});

describe('redactUrl', () => {
  it('hides a password only', async () => {
    const { redactUrl } = await import('../maintenance/cluster-config.js');
    expect(redactUrl('postgresql://oj:secret@db:5432/x')).toBe('postgresql://oj:***@db:5432/x');
    expect(redactUrl('postgresql://oj@/x?host=/run')).toBe('postgresql://oj@/x?host=/run');
  });
});
