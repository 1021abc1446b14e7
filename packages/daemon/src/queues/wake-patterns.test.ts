import { describe, expect, it } from 'vitest';
import { matchesPattern } from '../events/event-pattern.js';
import { wakePatterns } from './wake-patterns.js';

describe('wake_on patterns', () => {
  it('fills {worker} and {queue}; other placeholders match anything', () => {
    const globs = wakePatterns(['bug:created', 'pipeline:{id}:complete', 'queue:{queue}:*', '{worker}:poke'], { worker: 'bugfix', queue: 'bugs' });
    expect(globs).toEqual(['bug:created', 'pipeline:*:complete', 'queue:bugs:*', 'bugfix:poke']);
    expect(matchesPattern(globs[1]!, 'pipeline:fix-12:complete')).toBe(true);
    expect(matchesPattern(globs[0]!, 'bug:created:x')).toBe(false);
  });
});
