/**
 * One queue: its settings and counts, its last hour (open items, items done
 * per minute), its dead letters with a redrive button each (and for all),
 * and its items by status. The same methods as `oj queue list`, `dead`,
 * `retry`.
 */
import { EventMethods, QueueMethods } from '@oj/protocol/client';

type QueueItemInfo = QueueMethods.QueueItemInfo;
type QueueItemStatus = QueueMethods.QueueItemStatus;
import { queueChartSvg } from '../charts/queue-chart.js';
import { QUEUE_EVENT_PATTERN, queueHistory } from '../charts/queue-history.js';
import { html, type Html } from '../html.js';
import { eventsHref, pipelineHref, queueRetryAct } from './hrefs.js';
import type { Page, PageContext } from './page.js';
import { actionButton, ago, badge, firstLine, section, table } from './parts.js';

const HISTORY_EVENTS = 5000;
const SHOWN = 100;
const ORDER: QueueItemStatus[] = ['pending', 'taken', 'completed', 'abandoned'];

export class PageNotFound extends Error {}

export async function queuePage(c: PageContext): Promise<Page> {
  const project = c.query.get('project') ?? '';
  const name = c.query.get('name') ?? '';
  if (!project || !name) throw new PageNotFound('a queue page needs ?project=ROOT&name=QUEUE');
  const { lastId } = await c.link.call(EventMethods.List, { limit: 1 });
  const { queues } = await c.link.call(QueueMethods.Queues, { project });
  const q = queues.find((x) => x.name === name);
  if (!q) throw new PageNotFound(`no queue ${name} in ${project}`);
  const [list, dead, history] = await Promise.all([
    c.link.call(QueueMethods.List, { project, queue: name, limit: 1000, pull: false }),
    c.link.call(QueueMethods.Dead, { project, queue: name }),
    c.link.call(EventMethods.List, { project, name: QUEUE_EVENT_PATTERN, limit: HISTORY_EVENTS }),
  ]);
  const buckets = queueHistory(history.events, name, q.counts.pending + q.counts.taken, c.now);
  const oldest = history.events[0];
  const partial = history.events.length >= HISTORY_EVENTS && oldest !== undefined && Date.parse(oldest.time) > c.now - 3_600_000;
  const byStatus = new Map<QueueItemStatus, QueueItemInfo[]>();
  for (const it of list.items) byStatus.set(it.status, [...(byStatus.get(it.status) ?? []), it]);
  const counts = (Object.entries(q.counts) as [QueueItemStatus, number][]).map(([k, v]) => html`<li>${badge(k)} ${v}</li>`);
  const body = html`
<h1>Queue ${name}</h1>
<div id="q-summary" data-live>
<p class="muted">project <code>${project}</code> · runbook ${q.runbook} · order ${q.order} · visibility ${q.visibilityTimeout} · max retries ${q.maxRetries}${q.onExhaust.length ? ` · on exhaust ${q.onExhaust.join(' → ')}` : ''}${q.source ? ` · source ${q.source}` : ''}</p>
<ul class="counts" aria-label="items by status">${counts}</ul>
<p>Workers: ${q.workers.length ? q.workers.join(', ') : 'none'}${q.lastPullError ? html` · <span class="problem">last pull failed: ${q.lastPullError}</span>` : ''}</p>
</div>
${section('q-chart', 'The last hour', html`${queueChartSvg(buckets, name)}${partial ? html`<p class="muted">Only the latest ${HISTORY_EVENTS} queue events were read: the start of the hour is missing.</p>` : ''}`)}
${section('dead', 'Dead letters', deadLetters(dead.items, project, name, c), { count: dead.items.length })}
${ORDER.map((st) => {
  const items = byStatus.get(st) ?? [];
  return section(`items-${st}`, `${st[0]!.toUpperCase()}${st.slice(1)}`, itemsTable(st, items, c.now, project), { count: q.counts[st] });
})}
<p><a href="${eventsHref({ project, name: 'queue:*' })}">Queue events of the project</a></p>`;
  return { title: `Queue ${name}`, kind: 'queue', body, lastEvent: lastId, live: { project, name: 'queue:*' } };
}

function deadLetters(items: QueueItemInfo[], project: string, queue: string, c: PageContext): Html {
  if (!items.length) return html`<p class="empty">No dead letters.</p>`;
  const fields = (id?: string): Record<string, string> => ({ project, queue, ...(id !== undefined ? { id } : { all: '1' }) });
  return html`${table(
    'Dead letters',
    ['item', 'failures', 'error', 'died', ''],
    items.map((it) => [it.id, String(it.failures), it.error ? firstLine(it.error, 100) : '-', ago(it.finishedAt ?? it.updatedAt, c.now), actionButton(queueRetryAct, 'Redrive', c.csrf, c.here, { fields: fields(it.id) })]),
    'No dead letters.',
  )}<div class="options">${actionButton(queueRetryAct, `Redrive all ${items.length}`, c.csrf, c.here, { fields: fields() })}</div>`;
}

function itemsTable(status: QueueItemStatus, items: QueueItemInfo[], now: number, project: string): Html {
  const shown = items.slice(0, SHOWN);
  const more = items.length > shown.length ? html`<p class="muted">The first ${shown.length} of ${items.length}.</p>` : '';
  return html`${table(
    `${status} items`,
    ['item', 'data', 'attempts', 'taken by', 'updated', 'error'],
    shown.map((it) => [
      it.id,
      html`<code>${firstLine(JSON.stringify(it.data), 100)}</code>`,
      String(it.attempts),
      it.takenBy ? (/^[\w.-]+$/.test(it.takenBy) && it.worker ? html`<a href="${pipelineHref(it.takenBy, project)}">${it.takenBy}</a>` : it.takenBy) : '-',
      ago(it.updatedAt, now),
      it.error ? firstLine(it.error, 80) : '-',
    ]),
    'None.',
  )}${more}`;
}
