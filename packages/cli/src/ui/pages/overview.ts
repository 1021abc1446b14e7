/**
 * The overview: what needs you first (escalations, permission prompts,
 * plans and questions, with their options as buttons), then what runs
 * (pipelines with phase and age, agents and their states over the last
 * hour), then the queues, workers, crons, locks and semaphores `oj status`
 * shows, and the latest failures. The same methods `oj status` calls.
 */
import { EscalationMethods, EventMethods, LockMethods, SemaphoreMethods, StatusMethods, type EscalationInfo, type NeedsYou, type PipelineInfo, type StatusOverview } from '@oj/protocol/client';
import { waitingText } from '../../commands/pipeline-list.js';
import { AGENT_EVENT_PATTERN, agentLanes } from '../charts/agent-lanes.js';
import { lanesSvg } from '../charts/lanes.js';
import { html, type Html } from '../html.js';
import { pipelineAct, pipelineHref, queueHref, sessionHref } from './hrefs.js';
import { locksTable, semaphoresTable } from './coordination.js';
import type { Page, PageContext } from './page.js';
import { actionButton, ago, badge, duration, escalationOptions, firstLine, section, sectionTable, table } from './parts.js';

const HOUR = 3_600_000;


export async function overviewPage(c: PageContext): Promise<Page> {
  const project = c.query.get('project') || undefined;
  const scope = project ? { project } : {};
  const { lastId } = await c.link.call(EventMethods.List, { limit: 1 });
  const [o, open, agentEvents, locks, semaphores] = await Promise.all([
    c.link.call(StatusMethods.Overview, scope),
    c.link.call(EscalationMethods.List, { ...scope, status: 'open' }),
    c.link.call(EventMethods.List, { ...scope, name: AGENT_EVENT_PATTERN, limit: 1000 }),
    c.link.call(LockMethods.List, scope),
    c.link.call(SemaphoreMethods.List, scope),
  ]);
  const everywhere = !o.project;
  const byKey = new Map(o.active.map((p) => [p.key, p]));
  const escalations = new Map(open.escalations.map((e) => [e.id, e]));
  const listed = new Set(o.needsYou.map((n) => n.escalation));
  const others = open.escalations.filter((e) => !listed.has(e.id));
  const needs = [...o.needsYou.map((n) => needItem(n, n.escalation === null ? null : (escalations.get(n.escalation) ?? null), byKey, c)), ...others.map((e) => escalationItem(e, c))];
  const lanes = agentLanes(agentEvents.events, o.sessions, c.now, HOUR);
  const { escalations: _shown, ...sections } = o.sections;
  const queueLink = (k: string, r: Record<string, unknown>) => {
    const root = typeof r.project === 'string' ? r.project : o.project;
    return k === 'queue' && root && typeof r.queue === 'string' ? queueHref(root, r.queue) : null;
  };
  const body = html`
<h1>Overview</h1>
${header(o, project)}
${section('needs', 'Needs you', needs.length ? html`<div class="needs">${needs}</div>` : html`<p class="empty">Nothing needs you.</p>`, { count: needs.length })}
${section('pipelines', 'Pipelines under way', pipelinesTable(o.active, everywhere, c.now), { count: o.active.length })}
${section(
  'agents',
  'Agents',
  html`${table(
    'Agent sessions',
    ['session', 'pipeline', 'phase', 'state', 'since'],
    o.sessions.map((s) => [html`<a href="${sessionHref(s.id)}">${s.id}</a>`, s.pipeline ?? '-', s.phase ?? '-', badge(s.state ?? s.status), ago(s.stateSince ?? s.startedAt, c.now)]),
    'No agent is running.',
  )}${lanes.length ? html`<h3>States over the last hour</h3>${lanesSvg(lanes, c.now - HOUR, c.now, { id: 'agents-chart', title: 'Agent states over the last hour', desc: laneDesc(lanes) })}${legend()}` : ''}`,
  { count: o.sessions.length },
)}
${Object.entries(sections).map(([id, sec]) => section(`sec-${id}`, sec.title, sectionTable(sec, queueLink), { count: sec.rows.length }))}
${section('locks', 'Locks', locksTable(locks.locks, everywhere, c.now), { count: locks.locks.length })}
${section('semaphores', 'Semaphores', semaphoresTable(semaphores.semaphores, everywhere), { count: semaphores.semaphores.length })}
${section(
  'failures',
  'Recent failures',
  table(
    'Recent failures',
    ['pipeline', 'phase', 'error', 'when'],
    o.recentFailures.map((p) => [html`<a href="${pipelineHref(p.key)}">${everywhere ? p.key : p.id}</a>`, p.phase ?? '-', firstLine(p.error ?? ''), ago(p.finishedAt ?? p.updatedAt, c.now)]),
    'None.',
  ),
)}`;
  return { title: 'Overview', kind: 'overview', body, lastEvent: lastId, ...(project ? { live: { project } } : {}) };
}

function header(o: StatusOverview, project: string | undefined): Html {
  const d = o.daemon;
  const roots = d.projects.map((p) => p.root);
  return html`<div class="summary" id="summary" data-live>
<p>ojd ${d.version}, pid ${d.pid}. ${o.project ? html`Project <code>${o.project}</code>.` : 'All projects.'}</p>
<form method="get" action="/" class="inline"><label for="project">Project</label> <select id="project" name="project"><option value="">all projects</option>${roots.map(
    (r) => html`<option${r === project ? html` selected` : ''}>${r}</option>`,
  )}</select> <button type="submit">Show</button></form>
${d.diskFull ? html`<p class="problem">The disk is full since ${d.diskFull.since}: ${d.diskFull.refused} write(s) refused.</p>` : ''}
${o.runbookErrors.length ? html`<details class="problem"><summary>Runbook errors (${o.runbookErrors.length})</summary><pre>${o.runbookErrors.join('\n')}</pre></details>` : ''}
</div>`;
}

function pipelinesTable(active: PipelineInfo[], everywhere: boolean, now: number): Html {
  return table(
    'Pipelines under way',
    ['id', ...(everywhere ? ['project'] : []), 'pipeline', 'status', 'phase', 'age', 'in phase'],
    active.map((p) => [
      html`<a href="${pipelineHref(p.key)}">${everywhere ? p.key : p.id}</a>`,
      ...(everywhere ? [p.project] : []),
      p.kind,
      html`${badge(p.status)}${p.waitingFor && p.status === 'waiting' ? html` <small>for ${waitingText(p.waitingFor)}</small>` : ''}`,
      p.phase ?? '-',
      duration(p.createdAt, null, now),
      p.phaseStartedAt ? duration(p.phaseStartedAt, null, now) : '-',
    ]),
    'Nothing is running.',
  );
}

const KIND_TEXT: Record<NeedsYou['kind'], string> = {
  escalated: 'escalated',
  waiting: 'waiting for you',
  permission: 'asks permission',
  plan: 'plan to approve',
  question: 'asks a question',
};

function needItem(n: NeedsYou, e: EscalationInfo | null, byKey: Map<string, PipelineInfo>, c: PageContext): Html {
  const p = n.key ? byKey.get(n.key) : undefined;
  const text = e?.prompt?.text ?? n.message;
  const what = n.key ? html`<a href="${pipelineHref(n.key)}">${n.pipeline ?? n.key}</a>` : n.session ? html`<a href="${sessionHref(n.session)}">${n.session}</a>` : '-';
  const actions = e
    ? escalationOptions(e, p?.phases ?? [], c.csrf, c.here)
    : n.session
      ? html`<p><a href="${sessionHref(n.session)}">Answer it at the agent's terminal</a></p>`
      : n.key
        ? html`<div class="options">${actionButton(pipelineAct(n.key, 'resume'), 'Resume', c.csrf, c.here)}${actionButton(pipelineAct(n.key, 'cancel'), 'Cancel', c.csrf, c.here, { danger: true, confirm: 'Cancel this pipeline?' })}</div>`
        : '';
  return html`<article class="need" aria-labelledby="need-${e?.id ?? n.key ?? n.session}">
<h3 id="need-${e?.id ?? n.key ?? n.session}">${badge(KIND_TEXT[n.kind].replace(/ /g, '_'))} ${what}${n.phase ? html` <span class="muted">phase ${n.phase}</span>` : ''}${e ? html` <span class="muted">escalation ${e.id}</span>` : ''}</h3>
${message(text)}
<p class="muted">since ${ago(n.since, c.now)}${n.session && n.key ? html` · <a href="${sessionHref(n.session)}">terminal</a>` : ''}</p>
${actions}
</article>`;
}

function escalationItem(e: EscalationInfo, c: PageContext): Html {
  const what = e.pipeline ?? e.session ?? e.source;
  return html`<article class="need" aria-labelledby="need-${e.id}">
<h3 id="need-${e.id}">${badge('escalated')} ${what}${e.phase ? html` <span class="muted">phase ${e.phase}</span>` : ''} <span class="muted">escalation ${e.id} (${e.source})</span></h3>
${message(e.prompt?.text ?? e.reason)}
<p class="muted">since ${ago(e.createdAt, c.now)}</p>
${escalationOptions(e, [], c.csrf, c.here)}
</article>`;
}

/** One line as it is; a longer text (a plan) folded under its first line. */
function message(text: string): Html {
  if (!text.includes('\n') && text.length <= 200) return html`<p class="msg">${text}</p>`;
  return html`<details class="msg"><summary>${firstLine(text, 160)}</summary><pre>${text}</pre></details>`;
}

function laneDesc(lanes: ReturnType<typeof agentLanes>): string {
  return lanes.map((l) => `${l.label}: ${l.segments.map((s) => s.cls.replace(/^a-/, '')).join(' → ')}`).join('; ');
}

export function legend(): Html {
  const states = ['starting', 'working', 'needs_permission', 'idle', 'failed'];
  return html`<p class="legend" aria-hidden="true">${states.map((s) => html`<span><i class="sw a-${s}"></i>${s.replace('_', ' ')}</span>`)}</p>`;
}
