/** Output redirected to a file named like a duration or a number: a comparison meant, reported at load. */
import { describe, expect, it } from 'vitest';
import { buildProjectFromTexts } from './load-project.js';
import { scanShell } from './shell-scanner.js';
import { suspiciousRedirects } from './shell-redirects.js';

function flagged(command: string): string[] {
  const scan = scanShell(command);
  if (!scan.ok) throw new Error(scan.message);
  return suspiciousRedirects(scan.redirects).map((p) => p.message);
}

/** `kind name field: message (hint)` for each load problem. */
function problems(text: string): string[] {
  const result = buildProjectFromTexts({ runbooks: { watchdog: text } });
  if (result.ok) return [];
  return result.errors.map((e) => `${e.file} ${e.kind ?? '-'} ${e.name ?? '-'} ${e.field ?? '-'}: ${e.message}${e.hint ? ` (${e.hint})` : ''}`);
}

describe('redirections to a file named like a duration or a number', () => {
  it('flags > 5m, > 30s, >10, > 2h, >> 1.5, 2> 5m, &> 3 and inside $(...)', () => {
    for (const c of [
      'oj session idle-time {session} > 5m',
      'x > 30s',
      'x >10',
      'x > 2h',
      'x >> 1.5',
      'x 2> 5m',
      'x &> 3',
      'x >| 7d',
      'echo "$(x > 5m)"',
      'true && x>1 && y',
      '[ "$(x)" > 5 ]',
    ]) {
      expect(flagged(c), c).toHaveLength(1);
    }
    expect(flagged('x > 5m')[0]).toBe(
      '"> 5m" redirects output to a file named "5m"; the shell does not compare with ">", so the command writes that file and its exit status ignores the value',
    );
  });

  it('leaves real redirections and comparisons alone', () => {
    for (const c of [
      'x > out.log',
      'x >/dev/null 2>&1',
      'x 2>&1 >&2',
      'x > "5m"',
      "x > '10'",
      'x > {file}',
      'x > $OUT',
      'x > 5m.log',
      'diff <(a) >(b)',
      '[[ "$a" > 5 ]]',
      'test "$(x)" -gt 10',
      'echo "a > 5m" \'b > 5\'',
      'x \\> 5',
      'echo $(( 3 > 2 ))',
      '(( n > 10 ))',
      'x # > 5m',
      'cat <<EOF\n> 5m\nEOF\n',
    ]) {
      expect(flagged(c), c).toEqual([]);
    }
  });

  it('the concept document\'s monitor condition is a load error naming file, primitive and field, with the --over hint', () => {
    expect(
      problems(`
[monitor.agent_idle]
source = "oj pipeline list --phase execute --json"
condition = "oj session idle-time {session} > 5m"
response = ["nudge", "restart:2", "escalate"]
`),
    ).toEqual([
      '.oj/runbooks/watchdog.toml monitor agent_idle condition: "> 5m" redirects output to a file named "5m"; the shell does not compare with ">", so the command writes that file and its exit status ignores the value (write oj session idle-time {session} --over 5m: it exits 0 when idle longer than 5m)',
    ]);
    expect(problems('[monitor.ok]\nsource = "oj pipeline list --json"\ncondition = "oj session idle-time {session} --over 5m"\nresponse = ["nudge"]\n')).toEqual([]);
  });

  it('any shell field: a guard condition, a phase run and an [events] hook; the hint shows test ... -gt N', () => {
    const out = problems(`
[events]
on_complete = "oj pipeline age {name} >10 && echo old"

[guard.small]
condition = "wc -l < queue.txt > 100"

[pipeline.p]
[[pipeline.p.phase]]
name = "wait"
run = "oj pipeline phase-age x > 2h"
`);
    expect(out).toHaveLength(3);
    expect(out[0]).toMatch(/^\.oj\/runbooks\/watchdog\.toml events - on_complete: ">10" redirects output to a file named "10"; .* \(to compare a number, write test "\$\(oj pipeline age \{name\}\)" -gt 10; to write a file of that name, quote it: > "10"\)$/);
    expect(out[1]).toMatch(/^\.oj\/runbooks\/watchdog\.toml guard small condition: "> 100" .*test "\$\(wc -l < queue\.txt\)" -gt 100/);
    expect(out[2]).toMatch(/^\.oj\/runbooks\/watchdog\.toml pipeline p run: "> 2h" .*test "\$\(oj pipeline phase-age x\)" -gt 2 \(test compares plain numbers: convert the duration first\)/);
  });
});
