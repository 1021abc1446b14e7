/**
 * Lanes of coloured segments over a time window, as SVG: a pipeline's phase
 * runs, agents' states over the last hour. Each segment has a tooltip; the
 * description says what the chart shows in words.
 */
import { escapeHtml as e, trusted, type Html } from '../html.js';

export interface Segment {
  start: number;
  end: number;
  /** A CSS class naming what it is (s-running, a-working...). */
  cls: string;
  title: string;
}

export interface Lane {
  label: string;
  segments: Segment[];
}

const LABEL = 150;
const PLOT = 560;
const ROW = 22;

export function lanesSvg(lanes: Lane[], from: number, to: number, o: { title: string; desc: string; id: string }): Html {
  const span = Math.max(1, to - from);
  const x = (t: number) => LABEL + ((Math.min(Math.max(t, from), to) - from) / span) * PLOT;
  const rows = lanes.map((lane, i) => {
    const y = 6 + i * ROW;
    const segs = lane.segments
      .filter((s) => s.end > from && s.start < to)
      .map((s) => {
        const x0 = x(s.start);
        const w = Math.max(2, x(s.end) - x0);
        return `<rect class="seg ${e(s.cls)}" x="${x0.toFixed(1)}" y="${y}" width="${w.toFixed(1)}" height="${ROW - 6}" rx="2"><title>${e(s.title)}</title></rect>`;
      });
    return `<text class="lane-label" x="${LABEL - 8}" y="${y + 12}" text-anchor="end">${e(clip(lane.label, 22))}</text>${segs.join('')}`;
  });
  const height = 6 + lanes.length * ROW + 22;
  const axisY = height - 8;
  const ticks = [from, from + span / 2, to].map(
    (t, i) => `<text class="axis" x="${x(t).toFixed(1)}" y="${axisY}" text-anchor="${['start', 'middle', 'end'][i]}">${clock(t)}</text>`,
  );
  const width = LABEL + PLOT + 10;
  return trusted(
    `<svg class="lanes" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-labelledby="${o.id}-t ${o.id}-d">` +
      `<title id="${o.id}-t">${e(o.title)}</title><desc id="${o.id}-d">${e(o.desc)}</desc>` +
      `<line class="axis-line" x1="${LABEL}" x2="${LABEL + PLOT}" y1="${axisY - 12}" y2="${axisY - 12}"/>` +
      rows.join('') +
      ticks.join('') +
      `</svg>`,
  );
}

function clock(t: number): string {
  const d = new Date(t);
  const p = (n: number) => String(n).padStart(2, '0');
  return `${p(d.getHours())}:${p(d.getMinutes())}:${p(d.getSeconds())}`;
}

function clip(s: string, n: number): string {
  return s.length > n ? `${s.slice(0, n - 1)}…` : s;
}
