import { describe, expect, it } from 'vitest';
import { askingShell, bareWord, completionEnv, completionScript, fromYargs } from './completion-scripts.js';

describe('completion candidates in each shell\'s form', () => {
  it('fish takes name<TAB>description from yargs\' zsh form, colons in names unescaped', () => {
    expect(fromYargs('show:A pipeline: state', 'fish')).toBe('show\tA pipeline: state');
    expect(fromYargs('a\\:b:desc', 'fish')).toBe('a:b\tdesc');
    expect(fromYargs('bug\\:created', 'fish')).toBe('bug:created');
    expect(fromYargs('--json:', 'fish')).toBe('--json');
  });
  it('zsh and bash take yargs\' own form; a bare id has its colons escaped for zsh only', () => {
    expect(fromYargs('show:A pipeline', 'zsh')).toBe('show:A pipeline');
    expect(fromYargs('show', 'bash')).toBe('show');
    expect(bareWord('a:b', 'zsh')).toBe('a\\:b');
    expect(bareWord('a:b', 'fish')).toBe('a:b');
    expect(bareWord('a:b', 'bash')).toBe('a:b');
  });
  it('a request from a script says its shell; yargs is told the form it wants', () => {
    expect(askingShell({ OJ_COMPLETION_SHELL: 'fish' })).toBe('fish');
    expect(askingShell({ OJ_COMPLETION_SHELL: 'powershell' })).toBeNull();
    const env: NodeJS.ProcessEnv = { OJ_COMPLETION_SHELL: 'bash', SHELL: '/bin/zsh', ZSH_NAME: 'zsh' };
    completionEnv(env);
    expect(env).toEqual({ OJ_COMPLETION_SHELL: 'bash', SHELL: 'bash' });
    const fish: NodeJS.ProcessEnv = { OJ_COMPLETION_SHELL: 'fish', SHELL: '/bin/bash' };
    completionEnv(fish);
    expect(fish.SHELL).toBe('zsh');
  });
  it('each script calls back into oj as its shell', () => {
    expect(completionScript('bash')).toContain('OJ_COMPLETION_SHELL=bash oj --get-yargs-completions');
    expect(completionScript('zsh')).toContain('OJ_COMPLETION_SHELL=zsh oj --get-yargs-completions');
    expect(completionScript('fish')).toContain('env OJ_COMPLETION_SHELL=fish oj --get-yargs-completions');
  });
});
