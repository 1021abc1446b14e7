/** A queue's last hour as two small SVG charts: open items (a line) and items done per minute (bars, failures stacked). */
import { escapeHtml as e, trusted, type Html } from '../html.js';
import type { QueueBucket } from './queue-history.js';

const LEFT = 40;
const PLOT = 660;
const TOP = 22;

export function queueChartSvg(b: QueueBucket[], queue: string): Html {
  const n = b.length;
  const step = PLOT / Math.max(1, n);
  const maxOpen = Math.max(1, ...b.map((x) => x.open));
  const maxDone = Math.max(1, ...b.map((x) => x.completed + x.failed));
  const depthH = 80;
  const line = b.map((x, i) => `${i === 0 ? 'M' : 'L'}${(LEFT + i * step + step / 2).toFixed(1)} ${(TOP + depthH - (x.open / maxOpen) * depthH).toFixed(1)}`).join(' ');
  const doneTop = TOP + depthH + 34;
  const doneH = 60;
  const bars = b.map((x, i) => {
    const bx = (LEFT + i * step + 1).toFixed(1);
    const w = Math.max(1, step - 2).toFixed(1);
    const hc = (x.completed / maxDone) * doneH;
    const hf = (x.failed / maxDone) * doneH;
    const tip = `${clock(x.t)}: ${x.completed} completed, ${x.failed} failed, ${x.open} open`;
    return (
      `<g><title>${e(tip)}</title>` +
      (x.completed ? `<rect class="q-done" x="${bx}" y="${(doneTop + doneH - hc).toFixed(1)}" width="${w}" height="${hc.toFixed(1)}"/>` : '') +
      (x.failed ? `<rect class="q-failed" x="${bx}" y="${(doneTop + doneH - hc - hf).toFixed(1)}" width="${w}" height="${hf.toFixed(1)}"/>` : '') +
      `<rect class="q-hit" x="${bx}" y="${TOP}" width="${w}" height="${doneTop + doneH - TOP}"/></g>`
    );
  });
  const totalDone = b.reduce((s, x) => s + x.completed, 0);
  const totalFailed = b.reduce((s, x) => s + x.failed, 0);
  const last = b[n - 1];
  const desc = `Queue ${queue} over the last ${n} minutes: ${last?.open ?? 0} open now, at most ${Math.max(0, ...b.map((x) => x.open))}; ${totalDone} completed and ${totalFailed} failed attempts.`;
  const height = doneTop + doneH + 22;
  const width = LEFT + PLOT + 10;
  const t0 = b[0]?.t ?? 0;
  return trusted(
    `<svg class="queue-chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-labelledby="q-t q-d">` +
      `<title id="q-t">${e(`Queue ${queue}: the last hour`)}</title><desc id="q-d">${e(desc)}</desc>` +
      `<text class="axis" x="${LEFT}" y="11">open items (max ${maxOpen})</text>` +
      `<line class="axis-line" x1="${LEFT}" x2="${LEFT + PLOT}" y1="${TOP + depthH}" y2="${TOP + depthH}"/>` +
      `<path class="q-open" d="${line}"/>` +
      `<text class="axis" x="${LEFT}" y="${doneTop - 4}">done per minute (max ${maxDone}; failed attempts stacked on top)</text>` +
      `<line class="axis-line" x1="${LEFT}" x2="${LEFT + PLOT}" y1="${doneTop + doneH}" y2="${doneTop + doneH}"/>` +
      bars.join('') +
      `<text class="axis" x="${LEFT}" y="${height - 4}">${clock(t0)}</text>` +
      `<text class="axis" x="${LEFT + PLOT}" y="${height - 4}" text-anchor="end">now</text>` +
      `</svg>`,
  );
}

function clock(t: number): string {
  const d = new Date(t);
  return `${String(d.getHours()).padStart(2, '0')}:${String(d.getMinutes()).padStart(2, '0')}`;
}
