/**
 * Where a placeholder's value would become code even though it is quoted.
 *
 * bash evaluates some text itself, after quote removal: array subscripts,
 * arithmetic (`$((...))`, `((...))`, `let`, `for ((...))`, the operands of
 * `-eq`... in `[[ ]]`, `test` and `[`, values of `declare -i` variables), the
 * variable names taken by `-v`, `unset`, `declare`/`local`/`export`/...,
 * `read`, `printf -v`, and the keys of `x=( [k]=v )`. A quoted value
 * `'a[$(cmd)]'` there still runs `cmd`. The shell text (placeholders replaced
 * by neutral identifiers) is parsed by a real bash parser and each
 * placeholder's ancestors in the tree decide; the first one standing in such
 * a context is refused.
 */
import type { PlaceholderMatch } from './placeholder.js';
import { commandArgumentRefusal, type CommandArgument } from './shell-command-names.js';
import { ARITHMETIC_HINT, DECLARE_HINT, NAME_HINT, VARIABLE_HINT } from './shell-hints.js';
import { TOKEN, type NeutralShell } from './shell-neutral.js';
import { withBashTree, type BashNode } from './shell-parser.js';

export interface CodeContextRefusal {
  message: string;
  hint: string;
  /** Index of the placeholder in the template. */
  index: number;
}

interface Reason {
  where: string;
  hint: string;
  /** False when the context is unknown rather than code. */
  code?: boolean;
}

const ARITHMETIC_TESTS = new Set(['-eq', '-ne', '-lt', '-le', '-gt', '-ge']);
const NAME_TESTS = new Set(['-v', '-R']);
const INTEGER_FLAG = /^[-+][A-Za-z]*i/;

/** The first placeholder of `shell` standing where bash evaluates its value as code, or null. */
export function findCodeContext(shell: NeutralShell): CodeContextRefusal | null {
  if (shell.tokens.length === 0) return null;
  return withBashTree(shell.text, (root) => {
    const integers = integerNames(root);
    for (const { token, at, match } of shell.tokens) {
      const leaf = root.descendantForIndex(at, at + token.length) ?? root;
      const reason = contextOf(leaf, at, token, integers);
      if (reason !== null) return refusal(match, reason);
    }
    return null;
  });
}

function refusal(match: PlaceholderMatch, reason: Reason): CodeContextRefusal {
  const message = `placeholder {${match.path}} ${reason.where}${reason.code === false ? '' : ', where bash evaluates text as code'}`;
  return { message, hint: reason.hint.replaceAll('{name}', `{${match.path}}`), index: match.start };
}

/**
 * Walk up from the token's node; the first code context on the way decides.
 * The walk ends at a command substitution: a value inside `$(...)` is an
 * argument of the command there, and what that command prints (say, a
 * number from `oj pipeline phase-time {id}`) is not the value.
 */
function contextOf(leaf: BashNode, at: number, token: string, integers: ReadonlySet<string>): Reason | null {
  let child: BashNode = leaf;
  for (let node: BashNode | null = leaf; node !== null; child = node, node = node.parent) {
    if (node.type === 'command_substitution' || node.type === 'process_substitution') return null;
    const reason = nodeReason(node, child, at, token, integers);
    if (reason !== null) return reason;
  }
  return null;
}

function nodeReason(node: BashNode, child: BashNode, at: number, token: string, integers: ReadonlySet<string>): Reason | null {
  switch (node.type) {
    case 'ERROR':
      return { where: 'stands in shell text the bash parser cannot read, so what bash does with its value is unknown', hint: VARIABLE_HINT, code: false };
    case 'subscript':
      return isField(node, 'index', child) ? { where: 'in an array subscript', hint: ARITHMETIC_HINT } : null;
    case 'arithmetic_expansion':
      return { where: `inside ${node.text.startsWith('$[') ? '$[...]' : '$((...))'}`, hint: ARITHMETIC_HINT };
    case 'compound_statement':
      return node.child(0)?.type === '((' ? { where: 'inside ((...))', hint: ARITHMETIC_HINT } : null;
    case 'c_style_for_statement':
      return isField(node, 'body', child) ? null : { where: 'inside for ((...))', hint: ARITHMETIC_HINT };
    case 'binary_expression': {
      const operator = node.childForFieldName('operator')?.text ?? '';
      if (!ARITHMETIC_TESTS.has(operator)) return null;
      const where = testOpener(node) === '[[' ? 'inside an arithmetic [[ ... ]] test' : 'in an arithmetic comparison of test';
      return { where, hint: ARITHMETIC_HINT };
    }
    case 'unary_expression': {
      const operator = node.childForFieldName('operator')?.text ?? '';
      return NAME_TESTS.has(operator) ? { where: `as the operand of ${operator}, a variable name`, hint: NAME_HINT } : null;
    }
    case 'test_command':
      return node.child(0)?.type === '[' ? argumentsReason('[', testArguments(node), token) : null;
    case 'command':
      return commandReason(node, token);
    case 'unset_command':
      return { where: 'as an argument of unset, which takes variable names', hint: NAME_HINT };
    case 'declaration_command': {
      const keyword = node.child(0)?.text ?? 'declare';
      return { where: `as an argument of ${keyword}, which takes variable names and may evaluate values`, hint: DECLARE_HINT };
    }
    case 'variable_assignment':
      return assignmentReason(node, child, integers);
    case 'array':
      return compoundKeyReason(child, at);
    default:
      return null;
  }
}

/** `[[` or `[`: the opener of the test around an expression. */
function testOpener(node: BashNode): string | undefined {
  let test: BashNode | null = node;
  while (test !== null && test.type !== 'test_command') test = test.parent;
  return test?.child(0)?.type;
}

function isField(node: BashNode, field: string, child: BashNode): boolean {
  const value = node.childForFieldName(field);
  return value !== null && value.id === child.id;
}

/** `n={v}` where `n` was declared `-i`: the value is evaluated as arithmetic. */
function assignmentReason(node: BashNode, child: BashNode, integers: ReadonlySet<string>): Reason | null {
  if (!isField(node, 'value', child)) return null;
  const name = node.childForFieldName('name');
  const variable = name?.type === 'subscript' ? name.childForFieldName('name') : name;
  if (variable === null || variable === undefined || !integers.has(variable.text)) return null;
  return { where: `in the value of ${variable.text}, an integer variable (declare -i)`, hint: ARITHMETIC_HINT };
}

/** `x=( [k]=v )`: the key `k` is a subscript; the grammar reads the element as plain words. */
function compoundKeyReason(element: BashNode, at: number): Reason | null {
  if (element.type !== 'concatenation' || element.child(0)?.text !== '[') return null;
  const close = element.text.search(/\]\+?=/);
  if (close === -1 || at >= element.startIndex + close) return null;
  return { where: 'in an array subscript of a compound assignment x=( [...]=... )', hint: ARITHMETIC_HINT };
}

function commandReason(node: BashNode, token: string): Reason | null {
  const name = node.childForFieldName('name')?.text;
  if (name === undefined) return null;
  const words = node.childrenForFieldName('argument').flatMap((a) => (a === null ? [] : [a.text]));
  return argumentsReason(name, words, token);
}

function argumentsReason(name: string, words: string[], token: string): Reason | null {
  const args: CommandArgument[] = words.map((text) => ({ text, placeholder: TOKEN.test(text), current: text.includes(token) }));
  return commandArgumentRefusal(name, args);
}

/** The words of `[ ... ]` in order, as `test` would receive them. */
function testArguments(node: BashNode): string[] {
  const args: string[] = [];
  const visit = (n: BashNode): void => {
    for (const c of n.children) {
      if (c === null || c.type === '[' || c.type === ']') continue;
      if (c.type.endsWith('_expression')) visit(c);
      else args.push(c.text);
    }
  };
  visit(node);
  return args;
}

/** Names declared with an integer attribute (`declare -i n`, `local -i n=0`...). */
function integerNames(root: BashNode): Set<string> {
  const names = new Set<string>();
  for (const declaration of root.descendantsOfType('declaration_command')) {
    if (declaration === null) continue;
    const children = declaration.namedChildren.filter((c) => c !== null);
    if (!children.some((c) => c.type === 'word' && INTEGER_FLAG.test(c.text))) continue;
    for (const c of children) {
      if (c.type === 'variable_name') names.add(c.text);
      if (c.type === 'variable_assignment') {
        const name = c.childForFieldName('name');
        names.add((name?.type === 'subscript' ? name.childForFieldName('name') : name)?.text ?? '');
      }
    }
  }
  return names;
}
