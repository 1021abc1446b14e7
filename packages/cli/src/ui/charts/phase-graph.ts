/**
 * A pipeline's phases as an SVG graph: one box a phase, top to bottom in
 * their order; `next` arrows on the right (straight down to the following
 * phase), `on_fail` arrows dashed on the left, a chain's steps written in the
 * box; the current phase marked (border and the word "now"), each phase
 * coloured by how its last run went. The description spells the edges out
 * for a screen reader.
 */
import type { PhaseGraphNode, PhaseRunStatus } from '@oj/protocol/client';
import { escapeHtml as e, trusted, type Html } from '../html.js';

const X = 110;
const W = 240;
const H = 44;
const GAP = 30;
const TOP = 12;

const yOf = (i: number) => TOP + i * (H + GAP);

export function phaseGraphSvg(nodes: PhaseGraphNode[], current: string | null, lastRuns: Record<string, PhaseRunStatus>, finished: boolean): Html {
  const index = new Map(nodes.map((n, i) => [n.name, i]));
  const endIndex = nodes.length;
  const parts: string[] = [];
  const edges: string[] = [];
  const maxSpan = Math.max(1, ...nodes.map((n, i) => Math.abs((n.next === null ? endIndex : (index.get(n.next) ?? endIndex)) - i)));
  nodes.forEach((n, i) => {
    const y = yOf(i);
    const target = n.next === null ? endIndex : (index.get(n.next) ?? endIndex);
    edges.push(`${n.name} → ${n.next ?? 'done'}`);
    if (target === i + 1) {
      parts.push(`<path class="g-next" d="M${X + W / 2} ${y + H} V${yOf(target) - 2}" marker-end="url(#g-arrow)"/>`);
    } else {
      const bend = X + W + 18 + 14 * Math.abs(target - i);
      const ty = target === endIndex ? yOf(endIndex) + 14 : yOf(target) + H / 2;
      const tx = target === endIndex ? X + W / 2 + 50 : X + W;
      parts.push(`<path class="g-next" d="M${X + W} ${y + H / 2} C${bend} ${y + H / 2} ${bend} ${ty} ${tx + 2} ${ty}" marker-end="url(#g-arrow)"/>`);
    }
    if (n.onFail && 'phase' in n.onFail) {
      const t = index.get(n.onFail.phase);
      edges.push(`${n.name} fails → ${n.onFail.phase}`);
      if (t !== undefined) {
        const bend = X - 18 - 14 * Math.abs(t - i);
        const ty = yOf(t) + H / 2 + (t === i ? 8 : 0);
        parts.push(`<path class="g-fail" d="M${X} ${y + H / 2} C${bend} ${y + H / 2} ${bend} ${ty} ${X - 2} ${ty}" marker-end="url(#g-arrow-fail)"/>`);
      }
    } else if (n.onFail) edges.push(`${n.name} fails → ${n.onFail.chain.join(', ')}`);
  });
  nodes.forEach((n, i) => {
    const y = yOf(i);
    const status = lastRuns[n.name];
    const isCurrent = n.name === current && !finished;
    const cls = ['g-box', status ? `g-${status}` : 'g-unrun', isCurrent ? 'g-current' : ''].filter(Boolean).join(' ');
    const fail = !n.onFail ? '' : 'phase' in n.onFail ? `on fail → ${n.onFail.phase}` : `on fail: ${n.onFail.chain.join(' → ')}`;
    const sub = [n.work === 'none' ? '' : n.work, fail].filter(Boolean).join(' · ');
    parts.push(
      `<g class="${cls}"><rect x="${X}" y="${y}" width="${W}" height="${H}" rx="6"/>` +
        `<text class="g-name" x="${X + 10}" y="${y + 18}">${e(clip(n.name, 26))}${isCurrent ? ' <tspan class="g-now">◀ now</tspan>' : ''}</text>` +
        `<text class="g-sub" x="${X + 10}" y="${y + 35}">${e(clip(sub, 38))}</text>` +
        `<title>${e(`${n.name}${status ? ` (last run: ${status})` : ''}${sub ? `: ${sub}` : ''}`)}</title></g>`,
    );
  });
  const endY = yOf(endIndex);
  parts.push(`<g class="g-end${finished ? ' g-current' : ''}"><rect x="${X + W / 2 - 50}" y="${endY}" width="100" height="28" rx="14"/><text x="${X + W / 2}" y="${endY + 18}" text-anchor="middle">done</text></g>`);
  const width = X + W + 40 + 14 * maxSpan;
  const height = endY + 28 + TOP;
  const desc = `Phases in order: ${nodes.map((n) => n.name).join(', ')}. ${edges.join('; ')}.${current && !finished ? ` Now at ${current}.` : ''}`;
  return trusted(
    `<svg class="phase-graph" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-labelledby="g-title g-desc">` +
      `<title id="g-title">Phase graph</title><desc id="g-desc">${e(desc)}</desc>` +
      `<defs><marker id="g-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" class="g-head"/></marker>` +
      `<marker id="g-arrow-fail" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0 0L10 5L0 10z" class="g-head-fail"/></marker></defs>` +
      parts.join('') +
      `</svg>`,
  );
}

function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}
