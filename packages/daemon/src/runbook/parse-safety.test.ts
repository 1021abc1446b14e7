/** `[safety]` and run-less `[action.<built-in>]`: the loader additions for monitors. */
import { describe, expect, it } from 'vitest';
import { buildProjectFromTexts } from './load-project.js';

const MON = '[cron.c]\ninterval = "1m"\nmonitors = ["m"]\n[monitor.m]\nsource = "ls"\nresponse = ["restart:2", "escalate"]\n';

function errors(text: string): string[] {
  const r = buildProjectFromTexts({ runbooks: { main: text } });
  return r.ok ? [] : r.errors.map((e) => `${e.kind ?? ''} ${e.field ?? '-'}: ${e.message}`);
}

describe('[safety]', () => {
  it('is a file-level table: protected paths and a dry-run mode', () => {
    const r = buildProjectFromTexts({ runbooks: { main: `[safety]\nprotected = [".git", "src"]\ndry_run = "always"\n${MON}` } });
    if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('\n'));
    expect(r.project.files[0]!.safety).toEqual({ protected: ['.git', 'src'], dry_run: 'always' });
  });

  it('defaults to a dry run first; true and false mean always and off', () => {
    const dry = (v: string) => {
      const r = buildProjectFromTexts({ runbooks: { main: `[safety]\nprotected = []\n${v}\n${MON}` } });
      return r.ok ? r.project.files[0]!.safety!.dry_run : null;
    };
    expect(dry('')).toBe('first');
    expect(dry('dry_run = true')).toBe('always');
    expect(dry('dry_run = false')).toBe('off');
  });

  it('rejects unknown fields and bad values', () => {
    expect(errors(`[safety]\nprotect = ["x"]\n${MON}`)).toEqual([expect.stringMatching(/^safety protect: unknown field/)]);
    expect(errors(`[safety]\ndry_run = "sometimes"\n${MON}`)).toEqual([expect.stringMatching(/^safety dry_run: expected "first", "always" or "off"/)]);
    expect(errors(`[safety]\nprotected = [1]\n${MON}`)).toEqual([expect.stringMatching(/^safety protected\[0\]: expected a string/)]);
  });
});

describe('run-less [action.<built-in>]', () => {
  it('tunes the built-in: the step stays built-in, with the action id for its cooldown and max_attempts', () => {
    const r = buildProjectFromTexts({ runbooks: { main: `${MON}[action.restart]\ncooldown = "5m"\nmax_attempts = 3\n` } });
    if (!r.ok) throw new Error(r.errors.map((e) => e.message).join('\n'));
    const m = r.project.monitor('m')!;
    expect(m.response![0]).toMatchObject({ action: 'restart', max: 2, id: 'main.action.restart', builtin: true });
    expect(r.project.action('restart')).toMatchObject({ run: '', cooldown: { ms: 300_000 }, max_attempts: 3 });
  });

  it('still needs run for an action that is not a built-in', () => {
    expect(errors('[action.notify]\ncooldown = "1m"\n')).toEqual([expect.stringMatching(/^action run: missing required field/)]);
  });

  it('with run, replaces the built-in', () => {
    const r = buildProjectFromTexts({ runbooks: { main: `${MON}[action.restart]\nrun = "echo restart"\n` } });
    if (!r.ok) throw new Error('loads');
    expect(r.project.monitor('m')!.response![0]).toMatchObject({ id: 'main.action.restart', builtin: false });
  });
});
