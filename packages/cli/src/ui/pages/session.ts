/**
 * One agent session: its live terminal (xterm.js, read-only until "take
 * control" is switched on; without the script, the screen as text and a
 * form to type a line), and its states over time. The same methods as
 * `oj session show`, `capture`, `attach` and `send`.
 */
import { EventMethods, SessionMethods, type EventRecord, type SessionInfo } from '@oj/protocol/client';
import { AGENT_EVENT_PATTERN, agentLanes } from '../charts/agent-lanes.js';
import { lanesSvg } from '../charts/lanes.js';
import { html, type Html } from '../html.js';
import { plainText } from '../plain-text.js';
import { pipelineHref, sessionSendAct } from './hrefs.js';
import { legend } from './overview.js';
import type { Page, PageContext } from './page.js';
import { ago, badge, firstLine, section, table } from './parts.js';

const HOUR = 3_600_000;

export async function sessionPage(c: PageContext, id: string): Promise<Page> {
  const { lastId } = await c.link.call(EventMethods.List, { limit: 1 });
  const { session: s } = await c.link.call(SessionMethods.Show, { id });
  const running = s.status === 'running';
  const [screen, events] = await Promise.all([
    c.link.call(SessionMethods.Capture, { id: s.id }).then(
      (r) => r.text,
      () => null,
    ),
    c.link.call(EventMethods.List, { project: s.project, name: AGENT_EVENT_PATTERN, limit: 1000 }),
  ]);
  const mine = events.events.filter((e) => e.data.session === s.id);
  const lanes = agentLanes(mine, [s], c.now, HOUR);
  const body = html`
<h1 id="title" data-live>Agent session ${s.id} ${badge(s.state ?? s.status)}</h1>
${facts(s, c.now)}
<section id="terminal" aria-labelledby="terminal-h"><h2 id="terminal-h">Terminal</h2>
<div class="term-controls" hidden>
<label class="switch"><input type="checkbox" id="take-control" role="switch"${running ? '' : ' disabled'}> Take control <span class="muted">(your keys go to the agent)</span></label>
<span id="term-state" class="muted" role="status" aria-live="polite"></span>
</div>
<div id="term" class="term" data-session="${s.id}" data-send="${sessionSendAct(s.id)}" data-running="${running ? '1' : ''}" role="region" aria-label="${`terminal of session ${s.id}`}"></div>
<pre id="screen" class="screen" tabindex="0" aria-label="the agent's screen">${screen === null ? '(no screen to show)' : plainText(screen)}</pre>
${running
  ? html`<form method="post" action="${sessionSendAct(s.id)}" class="inline no-js-send" data-act><input type="hidden" name="csrf" value="${c.csrf}"><input type="hidden" name="back" value="${c.here}"><input type="hidden" name="enter" value="1"><label for="send-text">Type a line to the agent</label> <input id="send-text" name="text" required> <button type="submit">Send</button></form>`
  : ''}
</section>
${section(
  'states',
  'States',
  html`${lanes.length ? html`${lanesSvg(lanes, c.now - HOUR, c.now, { id: 'states-chart', title: 'States over the last hour', desc: lanes[0]!.segments.map((x) => x.cls.replace(/^a-/, '')).join(' → ') })}${legend()}` : ''}${stateTable(mine, c.now)}`,
)}`;
  const extraHead = html`<link rel="stylesheet" href="/static/xterm.css">\n<script src="/static/xterm.js" defer></script>\n<script type="module" src="/static/term.js"></script>\n`;
  return { title: `Session ${s.id}`, kind: 'session', body, lastEvent: lastId, live: { project: s.project, name: 'session:*' }, extraHead };
}

function facts(s: SessionInfo, now: number): Html {
  const rows: [string, Html | string][] = [
    ['agent', s.agent],
    ['pipeline', s.pipeline ? html`<a href="${pipelineHref(s.pipeline, s.project)}">${s.pipeline}</a>${s.phase ? ` (phase ${s.phase})` : ''}` : '-'],
    ['status', s.status + (s.exitCode !== null ? ` (exit ${s.exitCode})` : '')],
    ['started', ago(s.startedAt, now)],
    ['state since', ago(s.stateSince, now)],
    ['restarts', String(s.restarts)],
    ['directory', s.cwd],
  ];
  if (s.message) rows.push(['message', firstLine(s.message, 300)]);
  if (s.reason) rows.push(['failure', `${s.reason}${s.until ? ` until ${s.until}` : ''}`]);
  return html`<dl class="facts" id="facts" data-live>${rows.map(([k, v]) => html`<dt>${k}</dt><dd>${v}</dd>`)}</dl>`;
}

function stateTable(events: EventRecord[], now: number): Html {
  const rows = events
    .filter((e) => e.name === 'session:state' || e.name === 'session:started' || e.name === 'session:exit')
    .reverse()
    .slice(0, 50)
    .map((e) => [ago(e.time, now), e.name === 'session:state' ? badge(String(e.data.state)) : e.name.replace('session:', ''), typeof e.data.message === 'string' ? firstLine(e.data.message, 120) : '']);
  return table('State changes, newest first', ['when', 'state', 'message'], rows, 'No state reported yet.');
}
