/** The overview's locks and semaphores: holders (and whether they went stale) and waiters in line, as `oj lock list` and `oj semaphore list` show them. */
import type { LockMethods, SemaphoreMethods } from '@oj/protocol/client';
import { html, type Html } from '../html.js';
import { pipelineHref } from './hrefs.js';
import { ago, table } from './parts.js';

type HolderInfo = LockMethods.HolderInfo;
type WaiterInfo = LockMethods.WaiterInfo;

function holderText(h: HolderInfo, project: string): Html {
  const who = h.kind === 'pipeline' ? html`<a href="${pipelineHref(h.holder, project)}">${h.holder}</a>` : html`${h.holder}`;
  return html`${who}${h.phase ? ` (${h.phase})` : ''}${h.weight > 1 ? ` ×${h.weight}` : ''}${h.stale ? html` <span class="badge st-failed" title="${h.staleReason ?? ''}">stale</span>` : ''}`;
}

function waitersText(w: WaiterInfo[]): string {
  return w.length ? w.map((x) => `${x.position}. ${x.holder}${x.weight > 1 ? ` ×${x.weight}` : ''}`).join(', ') : '-';
}

export function locksTable(locks: LockMethods.LockInfo[], everywhere: boolean, now: number): Html {
  return table(
    'Locks',
    ['lock', ...(everywhere ? ['project'] : []), 'holder', 'since', 'waiting'],
    locks.map((l) => [
      l.name,
      ...(everywhere ? [l.project] : []),
      l.holder ? holderText(l.holder, l.project) : html`<span class="muted">free</span>`,
      l.holder ? ago(l.holder.acquiredAt, now) : '-',
      waitersText(l.waiters),
    ]),
    'No locks.',
  );
}

export function semaphoresTable(semaphores: SemaphoreMethods.SemaphoreInfo[], everywhere: boolean): Html {
  return table(
    'Semaphores',
    ['semaphore', ...(everywhere ? ['project'] : []), 'used', 'holders', 'waiting'],
    semaphores.map((s) => [
      s.name,
      ...(everywhere ? [s.project] : []),
      `${s.used}/${s.max}`,
      s.holders.length ? s.holders.map((h, i) => html`${i ? ', ' : ''}${holderText(h, s.project)}`) : html`<span class="muted">none</span>`,
      waitersText(s.waiters),
    ]),
    'No semaphores.',
  );
}
