/**
 * A project's identity in a cluster: the same repository sits at different
 * paths on different machines, so shared rows name it by `[project] name`
 * in its `.oj/config.toml`, else by its git `origin` URL normalised
 * (`git@github.com:acme/web.git` and `https://github.com/acme/web` are both
 * `github.com/acme/web`), else by its directory name.
 */
import { execFileSync } from 'node:child_process';
import { basename } from 'node:path';

/** The origin URL as host/path: no scheme, user, port, trailing `.git` or slash; lower-case host. */
export function normaliseOrigin(url: string): string | null {
  const text = url.trim();
  if (!text) return null;
  // scp-like: user@host:path
  const scp = /^(?:[^@/]+@)?([^:/]+):(?!\/)(.+)$/.exec(text);
  let host: string;
  let path: string;
  if (scp && !/^[a-z][a-z0-9+.-]*:\/\//i.test(text)) {
    host = scp[1]!;
    path = scp[2]!;
  } else {
    try {
      const u = new URL(text);
      if (u.protocol === 'file:') return `file${u.pathname.replace(/\.git\/?$/, '').replace(/\/+$/, '')}`;
      host = u.hostname;
      path = u.pathname;
    } catch {
      return null;
    }
  }
  path = path.replace(/^\/+/, '').replace(/\/+$/, '').replace(/\.git$/, '');
  if (!host || !path) return null;
  return `${host.toLowerCase()}/${path}`;
}

/** The git origin of the repository at `root`, or null (no git, no origin). */
export function gitOrigin(root: string): string | null {
  try {
    const out = execFileSync('git', ['-C', root, 'config', '--get', 'remote.origin.url'], { stdio: ['ignore', 'pipe', 'ignore'], timeout: 5000 });
    return out.toString().trim() || null;
  } catch {
    return null;
  }
}

/** `configured`: `[project] name` (null when not set). */
export function projectIdentity(root: string, configured: string | null, origin: (root: string) => string | null = gitOrigin): string {
  if (configured) return configured;
  const o = origin(root);
  const normalised = o ? normaliseOrigin(o) : null;
  return normalised ?? basename(root);
}
