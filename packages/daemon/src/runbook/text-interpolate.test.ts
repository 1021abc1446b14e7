import { describe, expect, it } from 'vitest';
import { argsLayer, bindItemToInputs, createContext, InterpolationError, pipelineContext } from './interpolation-context.js';
import { parsePlaceholderPath, scanText } from './placeholder.js';
import { interpolateText, resolveDefaults } from './text-interpolate.js';

const context = createContext(
  argsLayer({ name: 'auth', targets: ['api', 'worker'], force: true }),
  { name: 'inputs', values: { bug: { id: 7, title: 'Crash', labels: ['p1', 'ui'], meta: null } } },
);

describe('placeholder grammar', () => {
  it.each([
    ['name', ['name']],
    ['bug.id', ['bug', 'id']],
    ['issues.0.title', ['issues', '0', 'title']],
    ['dry-run', ['dry-run']],
    ['_x.y_z', ['_x', 'y_z']],
  ])('accepts {%s}', (path, segments) => {
    expect(parsePlaceholderPath(path)).toEqual(segments);
  });

  it.each(['0', '0.a', 'a..b', '.a', 'a.', 'a b', '-a', 'a.-b'])('rejects {%s}', (path) => {
    expect(parsePlaceholderPath(path)).toBeNull();
  });

  it('leaves non-placeholders literal', () => {
    for (const text of ['{{name}}', '{{{name}}}', '${name}', '{ name }', '{a,b}', '{}', '{"a": 1}', '{name}}', 'a{0}']) {
      expect(scanText(text).every((p) => p.type === 'text'), text).toBe(true);
    }
  });
});

describe('interpolateText', () => {
  it('substitutes text values without quoting', () => {
    expect(interpolateText('feature/{name}', context)).toBe('feature/auth');
    expect(interpolateText('pipeline:{name}:merged', context)).toBe('pipeline:auth:merged');
    expect(interpolateText("it's {bug.title}!", context)).toBe("it's Crash!");
  });

  it('renders numbers, booleans, null, word lists and objects', () => {
    expect(interpolateText('{bug.id} {force} [{bug.meta}] {targets}', context)).toBe('7 true [] api worker');
    expect(interpolateText('{bug.labels}', context)).toBe('["p1","ui"]');
    expect(interpolateText('{bug.labels.1}', context)).toBe('ui');
    expect(interpolateText('{targets.1}', context)).toBe('worker');
  });

  it('leaves double braces, ${...} and non-paths alone', () => {
    expect(interpolateText('{{name}} ${name} { name } {}', context)).toBe('{{name}} ${name} { name } {}');
  });

  it('turns \\{name} into a literal {name}', () => {
    expect(interpolateText('\\{name} is {name}', context)).toBe('{name} is auth');
    expect(interpolateText('\\{{x}}', context)).toBe('\\{{x}}');
  });

  it('reports an unknown root with a suggestion or the known names', () => {
    expect(() => interpolateText('{nmae}', context)).toThrow(InterpolationError);
    expect(() => interpolateText('{nmae}', context)).toThrow('unknown placeholder {nmae} (did you mean "name"?)');
    expect(() => interpolateText('{zzz}', context)).toThrow('known names: bug, force, name, targets');
  });

  it('reports an unknown field with the fields that exist', () => {
    expect(() => interpolateText('{bug.titel}', context)).toThrow('unknown placeholder {bug.titel}: "bug" has no field "titel" (did you mean "title"?)');
    expect(() => interpolateText('{bug.zzz}', context)).toThrow('fields of bug: id, title, labels, meta');
    expect(() => interpolateText('{name.x}', context)).toThrow('"name" is a string, not an object');
    expect(() => interpolateText('{bug.labels.5}', context)).toThrow('"bug.labels" has no field "5"');
  });

  it('does not read inherited properties', () => {
    expect(() => interpolateText('{bug.constructor}', context)).toThrow(InterpolationError);
    expect(() => interpolateText('{toString}', context)).toThrow(InterpolationError);
  });
});

describe('contexts', () => {
  it('first layer wins, in the documented pipeline order', () => {
    const ctx = pipelineContext({
      args: { name: 'from-args' },
      inputs: { name: 'from-inputs', only: 'input' },
      defaults: { branch: 'feature/x' },
      item: { id: 'item-1' },
      runtime: { branch: 'oj/x', workspace: '/ws', id: 'runtime-id' },
    });
    expect(interpolateText('{name} {only} {branch} {id} {workspace}', ctx)).toBe('from-args input feature/x item-1 /ws');
  });

  it('binds a queue item to a single input, or field by field', () => {
    expect(bindItemToInputs(['bug'], { id: 1 })).toEqual({ bug: { id: 1 } });
    expect(bindItemToInputs(['name', 'prompt', 'after'], { name: 'a', prompt: 'b', extra: 1 })).toEqual({ name: 'a', prompt: 'b' });
  });

  it('lets a default replace a runtime value but not an input', () => {
    const ctx = pipelineContext({ inputs: { name: 'auth' }, runtime: { branch: 'oj/x', name: 'id-1' } });
    expect(resolveDefaults({ branch: 'feature/{name}', name: 'ignored' }, ctx)).toEqual({ branch: 'feature/auth' });
    const args = pipelineContext({ args: { tag: 'v2' }, runtime: {} });
    expect(resolveDefaults({ tag: 'latest', label: 'v-{tag}' }, args)).toEqual({ label: 'v-v2' });
  });

  it('resolves pipeline defaults in order, letting inputs win', () => {
    const ctx = createContext({ name: 'inputs', values: { name: 'auth', after: 'x' } });
    expect(resolveDefaults({ after: '', branch: 'feature/{name}', title: '{branch}!' }, ctx)).toEqual({
      branch: 'feature/auth',
      title: 'feature/auth!',
    });
  });
});
