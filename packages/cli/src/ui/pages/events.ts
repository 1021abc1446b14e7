/**
 * The event log, newest first, filtered by name pattern (`pipeline:*`) and
 * project; new events appear as they are recorded. The same method as
 * `oj events`.
 */
import { DaemonMethods, EventMethods, OjError, ErrorCode, type EventRecord } from '@oj/protocol/client';
import { html } from '../html.js';
import { pipelineHref } from './hrefs.js';
import type { Page, PageContext } from './page.js';
import { ago, firstLine, section, table } from './parts.js';

const LIMIT = 200;

export async function eventsPage(c: PageContext): Promise<Page> {
  const name = c.query.get('name')?.trim() || undefined;
  const project = c.query.get('project') || undefined;
  const status = await c.link.call(DaemonMethods.Status);
  let events: EventRecord[] = [];
  let lastId = 0;
  let problem: string | null = null;
  try {
    const r = await c.link.call(EventMethods.List, { limit: LIMIT, ...(name ? { name } : {}), ...(project ? { project } : {}) });
    events = r.events;
    lastId = r.lastId;
  } catch (err) {
    if (!(err instanceof OjError) || err.code !== ErrorCode.InvalidParams) throw err;
    problem = `Not a name pattern: ${name ?? ''} (letters, digits, : _ . - / and * for any run of characters)`;
  }
  const roots = status.projects.map((p) => p.root);
  const body = html`
<h1>Events</h1>
<form method="get" action="/events" class="filters" role="search" aria-label="filter events">
<label for="ev-name">Name</label> <input id="ev-name" name="name" value="${name ?? ''}" placeholder="pipeline:*" aria-describedby="ev-name-help">
<label for="ev-project">Project</label> <select id="ev-project" name="project"><option value="">all projects</option>${roots.map(
    (r) => html`<option${r === project ? html` selected` : ''}>${r}</option>`,
  )}</select>
<button type="submit">Filter</button>
<small id="ev-name-help" class="muted">* matches any run of characters</small>
</form>
${problem ? html`<p class="problem" role="alert">${problem}</p>` : ''}
${section(
  'event-list',
  'Newest first',
  table(
    'Events, newest first',
    ['id', 'time', 'event', 'subject', 'project', 'data'],
    [...events].reverse().map((e) => [
      String(e.id),
      ago(e.time, c.now),
      e.name,
      e.subject && e.project && (e.name.startsWith('pipeline:') || e.data.pipeline === e.subject) ? html`<a href="${pipelineHref(e.subject, e.project)}">${e.subject}</a>` : (e.subject ?? '-'),
      e.project ?? '-',
      html`<code>${firstLine(JSON.stringify(e.data), 200)}</code>`,
    ]),
    'No events match.',
  ),
  { count: events.length },
)}`;
  return { title: 'Events', kind: 'events', body, lastEvent: lastId, live: { ...(name && !problem ? { name } : {}), ...(project ? { project } : {}) } };
}
