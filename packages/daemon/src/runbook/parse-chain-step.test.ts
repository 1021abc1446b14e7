import { describe, expect, it } from 'vitest';
import { buildProjectFromTexts } from './load-project.js';
import { BUILTIN_ACTIONS } from '../core/recovery/index.js';
import { parseChainStep } from './parse-chain-step.js';

describe('parseChainStep', () => {
  it.each([
    ['nudge', { action: 'nudge', max: null }, 'nudge'],
    ['restart:2', { action: 'restart', max: 2 }, 'restart'],
    ['watchdog.notify', { action: 'notify', max: null }, 'watchdog.notify'],
    ['watchdog.action.notify:3', { action: 'notify', max: 3 }, 'watchdog.action.notify'],
  ])('parses %s', (text, step, reference) => {
    expect(parseChainStep(text)).toEqual({ ok: true, step: { text, ...step, id: null, builtin: false }, reference });
  });

  it.each([
    ['restart:x', 'whole number'],
    ['restart:0', 'whole number'],
    ['restart:', 'whole number'],
    ['re start', 'not an action'],
    ['', 'not an action'],
  ])('rejects %j', (text, message) => {
    const result = parseChainStep(text);
    expect(result.ok ? '' : result.message).toContain(message);
  });
});

describe('chain resolution in a project', () => {
  it('knows every built-in action', () => {
    // A monitor's response is the one chain that can run every built-in (core/recovery/contexts.ts).
    const result = buildProjectFromTexts({
      runbooks: { main: `[monitor.m]\nresponse = ${JSON.stringify([...BUILTIN_ACTIONS])}` },
    });
    expect(result.ok).toBe(true);
    if (result.ok) expect(result.project.monitor('m')!.response!.every((s) => s.builtin && s.id === null)).toBe(true);
  });

  it('prefers a runbook action in the own file, then elsewhere, over a built-in', () => {
    const result = buildProjectFromTexts({
      runbooks: {
        a: '[action.nudge]\nrun = "a"\n[lock.l]\non_stale = ["nudge", "notify"]',
        b: '[action.nudge]\nrun = "b"\n[action.notify]\nrun = "n"',
        c: '[lock.m]\non_stale = "b.nudge"',
      },
    });
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.project.lock('l')!.on_stale.map((s) => s.id)).toEqual(['a.action.nudge', 'b.action.notify']);
    expect(result.project.lock('m')!.on_stale.map((s) => s.id)).toEqual(['b.action.nudge']);
  });

  it('applies the resolution to default chains too', () => {
    const result = buildProjectFromTexts({ runbooks: { a: '[action.nudge]\nrun = "x"\n[agent.x]\n' } });
    if (!result.ok) throw new Error(JSON.stringify(result.errors));
    expect(result.project.agent('x')!.on_stuck.map((s) => [s.text, s.id, s.builtin])).toEqual([
      ['nudge', 'a.action.nudge', false],
      ['escalate', null, true],
    ]);
  });

  it('reports ambiguous and unknown actions', () => {
    const result = buildProjectFromTexts({
      runbooks: {
        a: '[lock.l]\non_stale = ["notify", "escalte", "a.nudge"]',
        b: '[action.notify]\nrun = "b"',
        c: '[action.notify]\nrun = "c"',
      },
    });
    expect(result.ok ? [] : result.errors.map((e) => [e.field, e.message, e.hint])).toEqual([
      ['on_stale', 'action "notify" is ambiguous: defined in b.toml and c.toml', 'write "b.notify" or "c.notify"'],
      ['on_stale', 'unknown action "escalte"', 'did you mean "escalate"?'],
      ['on_stale', '"a.nudge": runbook a has no action "nudge"', 'a.toml defines no action'],
    ]);
  });
});
