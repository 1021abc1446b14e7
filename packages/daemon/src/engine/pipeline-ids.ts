/** Readable pipeline ids: `build-auth`, then `build-auth-2`, `build-auth-3`... when taken. */

export function baseId(pipelineName: string, inputs: Record<string, unknown>, inputNames: string[]): string {
  const first = inputNames.map((n) => inputs[n]).find((v) => typeof v === 'string' || typeof v === 'number');
  const itemId = inputNames
    .map((n) => inputs[n])
    .map((v) => (v && typeof v === 'object' && 'id' in v ? (v as { id: unknown }).id : undefined))
    .find((v) => typeof v === 'string' || typeof v === 'number');
  const suffix = first ?? itemId;
  const raw = suffix === undefined ? pipelineName : `${pipelineName}-${String(suffix)}`;
  const slug = raw
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, 48)
    .replace(/-+$/g, '');
  return slug || 'pipeline';
}

export function uniqueId(base: string, taken: (id: string) => boolean): string {
  if (!taken(base)) return base;
  for (let n = 2; ; n++) {
    const id = `${base}-${n}`;
    if (!taken(id)) return id;
  }
}
