/**
 * What the grant machine is told about holders that only the daemon knows:
 * whether a phase it runs holds the resource, and whether a pipeline holder
 * is gone (its pipeline ended, or moved on to a phase that does not use it).
 */
import type { HolderFacts } from '../core/coordination/index.js';
import type { PipelineRecord } from '../storage/pipeline-store.js';
import type { HolderKind, ResourceKey, ResourceKind } from '../storage/resource-store.js';

export type FindPipeline = (id: string) => PipelineRecord | undefined;

/** Why a pipeline holder (or waiter) of `kind` `resource`, whose record is `p`, is gone, or null. */
export function pipelineGone(p: PipelineRecord | undefined, kind: ResourceKind, resource: string, holder: string): string | null {
  if (!p) return `pipeline ${holder} no longer exists`;
  const s = p.state.status;
  if (s !== 'running' && s !== 'waiting') return `pipeline ${holder} is ${s}`;
  const phase = p.definition.phases.find((x) => x.name === p.state.phase);
  const uses = kind === 'lock' ? phase?.lock === resource : phase?.semaphore === resource;
  if (!uses) return `pipeline ${holder} is in phase ${p.state.phase ?? '-'}, which does not use it`;
  return null;
}

/**
 * The facts of each holder of `key` for a sweep. A hold of another host of
 * the cluster is not this daemon's to judge by its pipelines: it goes stale
 * by its heartbeat (its host beats it), or at once when its host is gone.
 */
export function holderFacts(
  find: FindPipeline,
  key: ResourceKey,
  holds: readonly { holder: string; holderKind: HolderKind; here?: boolean; hostGone?: boolean; host?: string | null }[],
  isLive: (holder: string) => boolean,
): Map<string, HolderFacts> {
  const out = new Map<string, HolderFacts>();
  for (const h of holds) {
    if (h.here === false) {
      out.set(h.holder, { live: false, gone: h.hostGone ? `host ${h.host ?? '?'} stopped heartbeating` : null, owner: null });
      continue;
    }
    const live = isLive(h.holder);
    // An external holder may be a pipeline's script holding it under the pipeline's id: its work is that pipeline's.
    const p = find(h.holder);
    // A phase running here is not gone, whatever its record says in the middle of a step.
    const gone = h.holderKind === 'pipeline' && !live ? pipelineGone(p, key.kind, key.resource, h.holder) : null;
    out.set(h.holder, { live, gone, owner: p?.owner ?? null });
  }
  return out;
}

/** Pipeline holders and waiters of `key` that are gone, with why (for a restart). */
export function goneAtRestart(find: FindPipeline, key: ResourceKey, rows: readonly { holder: string; holderKind: HolderKind }[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const r of rows) {
    if (r.holderKind !== 'pipeline') continue;
    const gone = pipelineGone(find(r.holder), key.kind, key.resource, r.holder);
    if (gone) out.set(r.holder, gone);
  }
  return out;
}
