/** Pieces every page uses: times, status badges, tables, sections, action forms. */
import type { EscalationInfo, OverviewSection } from '@oj/protocol/client';
import { formatAgo, formatDuration } from '../../output/time.js';
import { html, type Html, type Part } from '../html.js';
import { escalationAct } from './hrefs.js';

/** A time as "3m ago" (kept current by the page's script), the exact time on hover and for machines. */
export function ago(iso: string | null | undefined, now: number): Html {
  if (!iso) return html`-`;
  return html`<time datetime="${iso}" title="${iso}" data-ago>${formatAgo(iso, now)}</time>`;
}

export function duration(fromIso: string, toIso: string | null, now: number): string {
  const end = toIso ? Date.parse(toIso) : now;
  return formatDuration(Math.max(0, end - Date.parse(fromIso)));
}

export function badge(status: string): Html {
  return html`<span class="badge st-${status.replace(/[^a-z_]/g, '')}">${status.replace(/_/g, ' ')}</span>`;
}

export function table(caption: string, headers: string[], rows: Part[][], empty: string): Html {
  if (rows.length === 0) return html`<p class="empty">${empty}</p>`;
  return html`<div class="scroll"><table><caption class="sr-only">${caption}</caption><thead><tr>${headers.map((h) => html`<th scope="col">${h}</th>`)}</tr></thead><tbody>${rows.map(
    (r) => html`<tr>${r.map((c) => html`<td>${c}</td>`)}</tr>`,
  )}</tbody></table></div>`;
}

/** A section of a page, refreshed in place by the page's script when something happens (`data-live`). */
export function section(id: string, title: string, body: Part, opts: { count?: number; live?: boolean } = {}): Html {
  const count = opts.count === undefined ? '' : ` (${opts.count})`;
  return html`<section id="${id}" aria-labelledby="${id}-h"${opts.live === false ? '' : html` data-live`}><h2 id="${id}-h">${title}${count}</h2>${body}</section>`;
}

/** The hidden fields every action form carries. */
function hidden(csrf: string, back: string, fields: Record<string, string> = {}): Html {
  return html`<input type="hidden" name="csrf" value="${csrf}"><input type="hidden" name="back" value="${back}">${Object.entries(fields).map(
    ([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`,
  )}`;
}

/** One button that POSTs an action (works without the script; with it, in place). */
export function actionButton(action: string, label: string, csrf: string, back: string, o: { fields?: Record<string, string>; confirm?: string; danger?: boolean } = {}): Html {
  return html`<form method="post" action="${action}" class="inline" data-act${o.confirm ? html` data-confirm="${o.confirm}"` : ''}>${hidden(csrf, back, o.fields)}<button type="submit"${o.danger ? html` class="danger"` : ''}>${label}</button></form>`;
}

/** A phase picker and a button (transition, an escalation's goto). */
export function phaseForm(action: string, label: string, phases: string[], csrf: string, back: string, fields: Record<string, string> = {}, idFor = 'phase'): Html {
  const id = `${idFor}-${action.replace(/[^a-z0-9]/gi, '-')}`;
  return html`<form method="post" action="${action}" class="inline" data-act>${hidden(csrf, back, fields)}<label for="${id}" class="sr-only">phase</label><select id="${id}" name="phase">${phases.map(
    (p) => html`<option>${p}</option>`,
  )}</select><button type="submit">${label}</button></form>`;
}

/** An escalation's options as buttons; `message` takes a text, `goto` a phase. */
export function escalationOptions(e: EscalationInfo, phases: string[], csrf: string, back: string): Html {
  const action = escalationAct(e.id);
  const forms = e.options.map((o) => {
    const fields = { choice: String(o.number) };
    if (o.choice === 'goto') return phases.length ? phaseForm(action, label(o.label), phases, csrf, back, fields, `goto-${e.id}`) : html``;
    if (o.choice === 'message') {
      const id = `msg-${e.id}`;
      return html`<form method="post" action="${action}" class="inline" data-act>${hidden(csrf, back, fields)}<label for="${id}" class="sr-only">message to the agent</label><input id="${id}" name="message" required placeholder="message to the agent"><button type="submit">${label(o.label)}</button></form>`;
    }
    const danger = o.choice === 'cancel' || o.choice === 'deny' || o.choice === 'reject';
    return actionButton(action, label(o.label), csrf, back, { fields, danger, ...(o.choice === 'cancel' ? { confirm: 'Cancel this pipeline?' } : {}) });
  });
  return html`<div class="options" role="group" aria-label="${`options of escalation ${e.id}`}">${forms}</div>`;
}

/** An option's label without the CLI's own spelling of its argument (`(--phase NAME)`): the page asks for it. */
function label(text: string): string {
  return text.replace(/\s*\(--[a-z-]+ [A-Z]+\)/, '');
}

/** A generic overview section (workers, crons, locks...) as a table; `link` turns a cell into a link. */
export function sectionTable(sec: OverviewSection, link: (key: string, row: OverviewSection['rows'][number]) => string | null = () => null): Html {
  const keys = sec.rows[0] ? Object.keys(sec.rows[0]) : [];
  return table(
    sec.title,
    keys,
    sec.rows.map((r) =>
      keys.map((k) => {
        const v = r[k];
        const text = v === null || v === undefined ? '-' : String(v);
        const href = link(k, r);
        return href ? html`<a href="${href}">${text}</a>` : text;
      }),
    ),
    'none',
  );
}

/** The first line of a text, at most `max` characters. */
export function firstLine(text: string, max = 120): string {
  const line = text.split('\n')[0]!;
  if (line.length > max) return `${line.slice(0, max - 1)}…`;
  return line === text ? line : `${line} …`;
}
