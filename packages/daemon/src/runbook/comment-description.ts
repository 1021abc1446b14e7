/**
 * A primitive's description from the comment lines right above its table
 * header (`# Build a feature.` above `[command.build]`), as `oj run` lists it.
 */
export function commentAbove(text: string, kind: string, name: string): string | null {
  const lines = text.split('\n');
  const header = new RegExp(`^\\s*\\[\\s*${escape(kind)}\\s*\\.\\s*("${escape(name)}"|${escape(name)})\\s*\\]`);
  const at = lines.findIndex((l) => header.test(l));
  if (at <= 0) return null;
  const comments: string[] = [];
  for (let i = at - 1; i >= 0; i--) {
    const l = lines[i]!.trim();
    if (!l.startsWith('#')) break;
    comments.unshift(l.replace(/^#+\s?/, ''));
  }
  const text2 = comments.join(' ').trim();
  return text2.length ? text2 : null;
}

function escape(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\-]/g, '\\$&');
}
