import { describe, expect, it } from 'vitest';
import { ChildEnvironment, EnvValueError, FALLBACK_PATH, filledEnv, passedThrough } from './child-env.js';

const host = { stateDir: '/state', socketPath: '/run/ojd.sock', ojBinDir: '/state/bin' };
const daemonEnv = { PATH: '/usr/bin:/bin', HOME: '/home/me', OJ_PIPELINE: 'stale', OJ_X: 'x', EDITOR: 'vi' };

describe('ChildEnvironment', () => {
  it("gives the daemon's own environment minus OJ_*, the oj launcher first on PATH, and oj's variables", () => {
    const env = new ChildEnvironment(host, daemonEnv).of({ project: '/p', oj: { OJ_QUEUE: 'bugs' } });
    expect(env.vars).toEqual({
      PATH: '/state/bin:/usr/bin:/bin',
      HOME: '/home/me',
      EDITOR: 'vi',
      OJ_SOCKET: '/run/ojd.sock',
      OJ_STATE_DIR: '/state',
      OJ_PROJECT_ROOT: '/p',
      OJ_QUEUE: 'bugs',
    });
  });

  it('puts the runbook layers on the base in order; a layer PATH still comes after the launcher', () => {
    const env = new ChildEnvironment(host, daemonEnv).of({
      project: '/p',
      layers: [{ A: 'passed', B: 'passed', PATH: '/opt/bin' }, { B: 'set', EDITOR: 'nano' }],
    });
    expect(env.vars).toMatchObject({ A: 'passed', B: 'set', EDITOR: 'nano', PATH: '/state/bin:/opt/bin' });
  });

  it("lets nothing override oj's own variables", () => {
    const env = new ChildEnvironment(host, daemonEnv).of({
      project: '/p',
      base: { OJ_SOCKET: '/elsewhere' },
      layers: [{ OJ_STATE_DIR: '/elsewhere', OJ_PROJECT_ROOT: '/elsewhere' }],
      oj: { OJ_PIPELINE: 'p-1' },
    });
    expect(env.vars).toMatchObject({ OJ_SOCKET: '/run/ojd.sock', OJ_STATE_DIR: '/state', OJ_PROJECT_ROOT: '/p', OJ_PIPELINE: 'p-1' });
  });

  it("on a given base (oj run's caller) falls back to the daemon's PATH, then to a fixed one", () => {
    const withDaemonPath = new ChildEnvironment(host, daemonEnv).of({ project: '/p', base: { HOME: '/h', OJ_X: 'x' } });
    expect(withDaemonPath.vars).toEqual({
      HOME: '/h',
      PATH: '/state/bin:/usr/bin:/bin',
      OJ_SOCKET: '/run/ojd.sock',
      OJ_STATE_DIR: '/state',
      OJ_PROJECT_ROOT: '/p',
    });
    const bare = new ChildEnvironment({ ...host, ojBinDir: null }, {}).of({ project: '/p', base: {} });
    expect(bare.vars.PATH).toBe(FALLBACK_PATH);
  });

  it('with() adds layers on top and more of oj variables, keeping the rule', () => {
    const phase = new ChildEnvironment(host, daemonEnv).of({ project: '/p', layers: [{ A: '1' }], oj: { OJ_PIPELINE: 'p-1', OJ_WORKSPACE: '' } });
    const agent = phase.with({ layers: [{ A: '2', PATH: '/agent/bin', OJ_PIPELINE: 'forged' }], oj: { OJ_SESSION: 's', OJ_WORKSPACE: '/ws' } });
    expect(agent.vars).toMatchObject({ A: '2', PATH: '/state/bin:/agent/bin', OJ_PIPELINE: 'p-1', OJ_SESSION: 's', OJ_WORKSPACE: '/ws' });
    expect(phase.vars).toMatchObject({ A: '1', OJ_WORKSPACE: '' });
  });
});

describe('runbook env layers', () => {
  it('passes through only the listed names the caller has', () => {
    expect(passedThrough({ A: '1', B: '2' }, ['A', 'C'])).toEqual({ A: '1' });
    expect(passedThrough(undefined, ['A'])).toEqual({});
  });

  it('fills a set table, naming the variable whose value cannot be filled', () => {
    expect(filledEnv({ T: '{x}' }, (t) => t.replace('{x}', 'v'))).toEqual({ T: 'v' });
    const fill = (t: string) => {
      if (t.includes('{missing}')) throw new Error('unknown placeholder {missing}');
      return t;
    };
    expect(() => filledEnv({ OK: 'a', BAD: '{missing}' }, fill)).toThrow(EnvValueError);
    expect(() => filledEnv({ BAD: '{missing}' }, fill)).toThrow('env BAD: unknown placeholder {missing}');
  });
});
