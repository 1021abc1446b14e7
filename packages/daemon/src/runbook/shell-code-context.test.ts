import { describe, expect, it } from 'vitest';
import { checkShellTemplate } from './shell-interpolate.js';

function refusal(template: string): string {
  const check = checkShellTemplate(template);
  return check.ok ? '' : `${check.message} | ${check.hint ?? ''}`;
}

describe('placeholders where bash evaluates the value as code', () => {
  it.each([
    // The six: each passed before and ran `cmd` from the value 'a[$(cmd)]'.
    ['a[1 + {v}]=5', 'in an array subscript'],
    ['x=( [{v}]=2 )', 'in an array subscript of a compound assignment'],
    ['[[ -v {v} ]]', 'as the operand of -v'],
    ['test -v {v}', 'as the operand of -v'],
    ['declare -A m; unset "m[{v}]"', 'as an argument of unset'],
    ['[[ " ]]" == x || {v} -eq 1 ]]', 'inside an arithmetic [[ ... ]] test'],
    // Arithmetic.
    ['echo $(( {v} + 1 ))', 'inside $((...))'],
    ['let x={v}', 'inside "let"'],
    ['(( {v} ))', 'inside ((...))'],
    ['for (( i = {v}; i < 3; i++ )); do echo; done', 'inside'],
    ['[ {v} -gt 1 ]', 'in an arithmetic comparison of test'],
    ['test 1 -ne "{v}"', 'in an arithmetic comparison of test'],
    ['declare -i n; n={v}', 'an integer variable (declare -i)'],
    ['local -i n={v}', 'an integer variable (declare -i)'],
    ['local n={v}', 'as an argument of local'],
    // Subscripts and names.
    ['a["{v}"]+=x', 'in an array subscript'],
    ['[ -v "{v}" ]', 'as the operand of -v'],
    ['[[ -R x || -v m[{v}] ]]', 'as the operand of -v'],
    ['unset {v}', 'as an argument of unset'],
    ['declare {v}=1', 'as an argument of declare'],
    ['export FOO={v}', 'as an argument of export'],
    ['readonly x=( [{v}]=1 )', 'in an array subscript'],
    ['typeset -a x="{v}"', 'as an argument of typeset'],
    ['read -r {v}', 'as an argument of read'],
    ['read -a {v} < f', 'as an argument of read -a'],
    ['printf -v {v} %s x', 'as an argument of printf -v'],
    ['mapfile -t {v} < f', 'as an argument of mapfile'],
    ['getopts ab {v}', 'as an argument of getopts'],
    ['builtin unset {v}', 'as an argument of unset'],
    ['eval "echo {v}"', 'inside "eval"'],
    ['test {a} {b}', 'next to another placeholder'],
    ['test {a} -a {b} {c}', 'next to another placeholder'],
  ])('%s is refused: %s', (template, reason) => {
    expect(refusal(template)).toContain(reason);
    expect(refusal(template)).toContain('where bash evaluates text as code');
  });

  it('refuses ${a[{v}]} (the scanner refuses every placeholder inside ${...})', () => {
    expect(refusal('echo ${a[{v}]}')).toContain('inside ${...}');
  });

  it('refuses a placeholder in shell text the parser cannot read', () => {
    expect(refusal('[ ! {a} {b} ]')).toContain('placeholder {a} stands in shell text the bash parser cannot read');
  });

  it('names the placeholder and gives a hint that uses it', () => {
    const check = checkShellTemplate('echo ok\n[[ -v {bug.id} ]]');
    expect(check).toMatchObject({ ok: false, message: expect.stringContaining('{bug.id}') });
    expect(check.ok === false && check.hint).toContain('{bug.id}');
  });

  it.each([
    'echo {v}',
    'echo "{v}"',
    "echo '{v}'",
    '[[ {v} == x ]]',
    '[[ -n {v} && "{v}" != *y* ]]',
    'test {v} = x',
    '[ -f {v} ] && [ {v} != -v ]',
    'a[1]={v}',
    'a[1]+="{v}"',
    'x=( {v} )',
    'x=( [1]={v} "{v}" )',
    'V={v}; echo "$V"',
    'printf %s {v}',
    'read -r -p {v} answer',
    'echo a[{v}] "b[{v}]"',
    'test $(oj pipeline phase-time {v} --seconds) -gt 7200',
    'declare -i n=1; m={v}',
    'f() { echo {v}; }; f',
    'getopts ab opt {v}',
  ])('%s is accepted', (template) => {
    expect(refusal(template)).toBe('');
  });
});
