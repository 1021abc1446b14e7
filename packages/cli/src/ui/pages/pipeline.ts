/**
 * One pipeline: its phase graph (the current phase marked), its runs on a
 * timeline with outcome and duration, the tail of its log (live), its
 * events, and what a human can do: resume, cancel, move to a phase. The
 * same methods as `oj pipeline show`, `logs`, `follow`, `resume`...
 */
import { EventMethods, PipelineMethods, type PhaseRunInfo, type PhaseRunStatus, type PipelineInfo } from '@oj/protocol/client';
import { waitingText } from '../../commands/pipeline-list.js';
import { lanesSvg, type Lane } from '../charts/lanes.js';
import { phaseGraphSvg } from '../charts/phase-graph.js';
import { html, type Html } from '../html.js';
import { plainText } from '../plain-text.js';
import { eventsHref, pipelineAct, sessionHref } from './hrefs.js';
import type { Page, PageContext } from './page.js';
import { actionButton, ago, badge, duration, firstLine, phaseForm, section, table } from './parts.js';

const FINISHED = new Set(['done', 'failed', 'cancelled']);
/** How much of the current run's log the page starts with. */
const TAIL_BYTES = 64 * 1024;

export async function pipelinePage(c: PageContext, key: string): Promise<Page> {
  const { lastId } = await c.link.call(EventMethods.List, { limit: 1 });
  const project = c.query.get('project') || undefined;
  const s = await c.link.call(PipelineMethods.Show, { id: key, ...(project ? { project } : {}) });
  const p = s.pipeline;
  const lastRun = s.runs[s.runs.length - 1];
  const logs = lastRun ? await c.link.call(PipelineMethods.Logs, { id: p.key, phase: lastRun.phase }) : { entries: [] };
  const entry = logs.entries.find((x) => x.run === lastRun?.run) ?? logs.entries[logs.entries.length - 1];
  const lastRuns: Record<string, PhaseRunStatus> = {};
  for (const r of s.runs) lastRuns[r.phase] = r.status;
  const finished = FINISHED.has(p.status);
  const body = html`
<h1 id="title" data-live>Pipeline ${p.id} ${badge(p.status)}</h1>
${facts(p, c.now)}
${section('actions', 'Actions', actions(p, c), { live: true })}
<div class="cols">
${section('graph', 'Phases', s.graph.length ? phaseGraphSvg(s.graph, p.phase, lastRuns, p.status === 'done') : html`<p class="empty">No phases.</p>`)}
${section('timeline', 'Runs', runs(s.runs, c.now))}
</div>
<section id="log-section" aria-labelledby="log-h"><h2 id="log-h">Log${entry ? html` <small class="muted">run ${entry.run}, phase ${entry.phase}</small>` : ''}</h2>
<pre id="log" class="log" tabindex="0" aria-label="log of the pipeline's latest run" data-key="${p.key}" data-run="${entry?.run ?? ''}" data-offset="${entry?.size ?? ''}" data-finished="${finished ? '1' : ''}">${entry ? plainText(entry.text.slice(-TAIL_BYTES)) : ''}</pre>
</section>
${s.checkpoints.length ? section('checkpoints', 'Checkpoints', table('Checkpoints', ['time', 'phase', 'message'], s.checkpoints.map((k) => [ago(k.time, c.now), k.phase ?? '-', k.message]), 'None.')) : ''}
${section(
  'events',
  'Events',
  html`${table(
    'Events of this pipeline, newest first',
    ['id', 'time', 'event', 'data'],
    [...s.history].reverse().slice(0, 100).map((e) => [String(e.id), ago(e.time, c.now), e.name, html`<code>${firstLine(JSON.stringify(e.data), 160)}</code>`]),
    'None yet.',
  )}<p><a href="${eventsHref({ project: p.project })}">All events of the project</a></p>`,
)}`;
  return { title: `Pipeline ${p.id}`, kind: 'pipeline', body, lastEvent: lastId, live: { project: p.project } };
}

function facts(p: PipelineInfo, now: number): Html {
  const rows: [string, Html | string][] = [
    ['project', p.project],
    ['pipeline', `${p.kind} (runbook ${p.runbook})`],
    ['phase', p.phase ?? '-'],
    ['created', ago(p.createdAt, now)],
    ['updated', ago(p.updatedAt, now)],
  ];
  if (p.waitingFor) rows.push(['waiting for', waitingText(p.waitingFor) + (p.waitingFor.detail ? `: ${p.waitingFor.detail}` : '')]);
  if (p.error) rows.push(['error', p.error]);
  if (p.label) rows.push(['label', p.label]);
  if (p.workspace) rows.push(['workspace', p.workspace]);
  if (p.session) rows.push(['agent', html`<a href="${sessionHref(p.session)}">session ${p.session}</a>`]);
  return html`<dl class="facts" id="facts" data-live>${rows.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>`;
}

function actions(p: PipelineInfo, c: PageContext): Html {
  const finished = FINISHED.has(p.status);
  const parts: Html[] = [];
  if (p.status === 'failed' || p.status === 'escalated' || p.status === 'waiting') parts.push(actionButton(pipelineAct(p.key, 'resume'), 'Resume (run the phase again)', c.csrf, c.here));
  if (!finished) {
    parts.push(phaseForm(pipelineAct(p.key, 'transition'), 'Move to phase', p.phases, c.csrf, c.here));
    parts.push(actionButton(pipelineAct(p.key, 'cancel'), 'Cancel', c.csrf, c.here, { danger: true, confirm: `Cancel pipeline ${p.id}?` }));
  }
  return parts.length ? html`<div class="options">${parts}</div>` : html`<p class="empty">The pipeline has ended.</p>`;
}

function runs(list: PhaseRunInfo[], now: number): Html {
  if (!list.length) return html`<p class="empty">No phase has run yet.</p>`;
  const shown = list.slice(-30);
  const from = Math.min(...shown.map((r) => Date.parse(r.startedAt)));
  const end = Math.max(...shown.map((r) => (r.finishedAt ? Date.parse(r.finishedAt) : now)));
  const lanes: Lane[] = shown.map((r) => ({
    label: `#${r.run} ${r.phase}`,
    segments: [{ start: Date.parse(r.startedAt), end: r.finishedAt ? Date.parse(r.finishedAt) : now, cls: `st-${r.status}`, title: `${r.phase}: ${r.status}, ${duration(r.startedAt, r.finishedAt, now)}` }],
  }));
  const desc = shown.map((r) => `run ${r.run} ${r.phase} ${r.status} in ${duration(r.startedAt, r.finishedAt, now)}`).join('; ');
  return html`${lanesSvg(lanes, from, Math.max(end, from + 1000), { id: 'runs-chart', title: 'Phase runs over time', desc })}
${table(
  'Phase runs',
  ['run', 'phase', 'outcome', 'exit', 'started', 'took', 'error'],
  [...shown].reverse().map((r) => [String(r.run), r.phase, badge(r.status), r.exitCode === null ? '-' : String(r.exitCode), ago(r.startedAt, now), duration(r.startedAt, r.finishedAt, now), r.error ? firstLine(r.error, 100) : '-']),
  'None.',
)}`;
}
