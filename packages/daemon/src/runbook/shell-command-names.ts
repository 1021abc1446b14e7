/**
 * Commands that take some arguments as variable names or arithmetic, where a
 * quoted value `'a[$(cmd)]'` still runs `cmd` (bash evaluates the subscript).
 * Given a simple command's name and its words, says whether the placeholder
 * being checked stands in such an argument.
 */
import { ARITHMETIC_HINT, DECLARE_HINT, EVAL_HINT, NAME_HINT } from './shell-hints.js';

export interface CommandArgument {
  text: string;
  /** The word holds some placeholder. */
  placeholder: boolean;
  /** The word holds the placeholder being checked. */
  current: boolean;
}

export interface CommandReason {
  where: string;
  hint: string;
}

const ARITHMETIC_TESTS = new Set(['-eq', '-ne', '-lt', '-le', '-gt', '-ge']);
const NAME_TESTS = new Set(['-v', '-R']);
const DECLARATIONS = new Set(['declare', 'typeset', 'local', 'export', 'readonly']);
/** `read` options followed by an operand; the operand of `-a` is a name. */
const READ_OPERANDS = new Set(['a', 'd', 'i', 'n', 'N', 'p', 't', 'u']);

const names = (command: string): CommandReason => ({ where: `as an argument of ${command}, which takes variable names`, hint: NAME_HINT });

export function commandArgumentRefusal(name: string, args: CommandArgument[]): CommandReason | null {
  if ((name === 'builtin' || name === 'command') && args[0] !== undefined && !args[0].text.startsWith('-')) {
    if (args[0].current) return null;
    return commandArgumentRefusal(args[0].text, args.slice(1));
  }
  const at = args.findIndex((a) => a.current);
  if (at === -1) return null;
  if (name === 'let') return { where: 'inside "let"', hint: ARITHMETIC_HINT };
  if (name === 'eval') return { where: 'inside "eval"', hint: EVAL_HINT };
  if (name === 'unset' || name === 'mapfile' || name === 'readarray') return names(name);
  if (DECLARATIONS.has(name)) {
    return { where: `as an argument of ${name}, which takes variable names and may evaluate values`, hint: DECLARE_HINT };
  }
  if (name === 'test' || name === '[') return testReason(name === '[' && args.at(-1)?.text === ']' ? args.slice(0, -1) : args, at);
  if (name === 'getopts') return at <= 1 ? names(name) : null;
  if (name === 'printf') return args[0]?.text === '-v' && at <= 1 ? names('printf -v') : null;
  if (name === 'wait') return at > 0 && /^-[A-Za-z]*p$/.test(args[at - 1]!.text) ? names('wait -p') : null;
  if (name === 'read') return readReason(args, at);
  return null;
}

/** `test` and `[`: operands of `-v`/`-R` and of arithmetic comparisons; values side by side. */
function testReason(args: CommandArgument[], at: number): CommandReason | null {
  const before = args[at - 1];
  const after = args[at + 1];
  if (before !== undefined && NAME_TESTS.has(before.text)) {
    return { where: `as the operand of ${before.text}, a variable name`, hint: NAME_HINT };
  }
  if ([before, after].some((a) => a !== undefined && ARITHMETIC_TESTS.has(a.text))) {
    return { where: 'in an arithmetic comparison of test', hint: ARITHMETIC_HINT };
  }
  if ([before, after].some((a) => a !== undefined && a.placeholder)) {
    return { where: 'next to another placeholder in a test, where two values can form an operator and its operand (-v NAME)', hint: NAME_HINT };
  }
  return null;
}

/** `read [-options] [name ...]`: the names and the operand of `-a` (a value in an option's place is refused too). */
function readReason(args: CommandArgument[], at: number): CommandReason | null {
  for (let i = 0; i < args.length; i++) {
    if (i === at) return names('read');
    const text = args[i]!.text;
    if (text === '--' || !/^-[A-Za-z]+$/.test(text)) return names('read');
    const option = text.at(-1)!;
    if (READ_OPERANDS.has(option)) {
      if (at === i + 1) return option === 'a' ? names('read -a') : null;
      i++;
    }
  }
  return null;
}
