/** A time as `oj status` shows it: `5s ago`, `in 2m`, `1h 5m ago`, `3d ago`. */
export function relative(t: number, now: number): string {
  const diff = now - t;
  const s = Math.round(Math.abs(diff) / 1000);
  const text =
    s < 60 ? `${s}s` : s < 3600 ? `${Math.floor(s / 60)}m` : s < 86_400 ? `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m` : `${Math.floor(s / 86_400)}d`;
  return diff >= 0 ? `${text} ago` : `in ${text}`;
}
