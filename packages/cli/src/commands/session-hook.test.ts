import { describe, expect, it } from 'vitest';
import { protectedWrite } from './session-hook.js';

const env = { OJ_PROTECTED_PATHS: JSON.stringify(['/proj/secrets', '/proj/**/*.pem']) };
const pre = (tool: string, input: Record<string, unknown>) => ({ hook_event_name: 'PreToolUse', cwd: '/proj', tool_name: tool, tool_input: input });

describe('protectedWrite', () => {
  it('blocks a file-writing tool into a protected path', () => {
    expect(protectedWrite(pre('Write', { file_path: '/proj/secrets/k' }), env)).toMatchObject({ tool: 'Write', path: '/proj/secrets/k' });
    expect(protectedWrite(pre('Edit', { file_path: 'secrets/k' }), env)?.path).toBe('/proj/secrets/k');
    expect(protectedWrite(pre('MultiEdit', { file_path: 'a/b/key.pem' }), env)?.reason).toMatch(/protected path \/proj\/\*\*\/\*\.pem/);
    expect(protectedWrite(pre('NotebookEdit', { notebook_path: '/proj/secrets/n.ipynb' }), env)).not.toBeNull();
  });
  it('lets everything else through', () => {
    expect(protectedWrite(pre('Write', { file_path: '/proj/src/a.ts' }), env)).toBeNull();
    expect(protectedWrite(pre('Read', { file_path: '/proj/secrets/k' }), env)).toBeNull();
    expect(protectedWrite({ ...pre('Write', { file_path: '/proj/secrets/k' }), hook_event_name: 'PostToolUse' }, env)).toBeNull();
    expect(protectedWrite(pre('Write', { file_path: '/proj/secrets/k' }), {})).toBeNull();
    expect(protectedWrite(pre('Write', { file_path: '/proj/secrets/k' }), { OJ_PROTECTED_PATHS: 'not json' })).toBeNull();
  });
});
