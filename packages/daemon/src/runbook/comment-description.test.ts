import { describe, expect, it } from 'vitest';
import { commentAbove } from './comment-description.js';

describe('commentAbove', () => {
  it('takes the comment block right above the header', () => {
    const text = '# unrelated\n\n# Build a feature.\n# In phases.\n[command.build]\nrun = "x"\n[command.bare]\nrun = "y"\n';
    expect(commentAbove(text, 'command', 'build')).toBe('Build a feature. In phases.');
    expect(commentAbove(text, 'command', 'bare')).toBeNull();
    expect(commentAbove(text, 'command', 'missing')).toBeNull();
  });
});
