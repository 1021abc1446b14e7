import { createRequire } from 'node:module';
import { Language, Parser, type Node } from 'web-tree-sitter';
import { describe, expect, it } from 'vitest';
import { endParser, parseBash, parserRunning, PARSER_IDLE_MS, type BashNode } from './shell-parser.js';

const require = createRequire(import.meta.url);

/** Bash the code-context check meets: its own test cases, placeholders replaced by a neutral word. */
const CORPUS = [
  'a[1 + OJV]=5',
  'x=( [OJV]=2 [b]+=3 c )',
  '[[ -v OJV ]] && [[ " ]]" == x || OJV -eq 1 ]]',
  'test -v OJV; [ OJV -gt 1 ]; test 1 -ne "OJV"',
  'declare -A m; unset "m[OJV]"; declare -i n; n=OJV; local -i k=OJV',
  'echo $(( OJV + 1 )) $[OJV] `echo OJV`',
  'let x=OJV; (( OJV )); for (( i = OJV; i < 3; i++ )); do echo "$i"; done',
  'a["OJV"]+=x; readonly x=( [OJV]=1 ); typeset -a x="OJV"',
  'read -r OJV; read -a OJV < f; printf -v OJV %s x; mapfile -t OJV < f',
  'echo "$(oj pipeline phase-time OJV)" > out.log 2>&1 | tee -a "OJV" &',
  'if [ -n "OJV" ]; then echo ok; elif true; then :; else exit 1; fi',
  'case "OJV" in a|b) echo x ;; *) echo y ;; esac',
  'f() { local v="OJV"; echo "${v:-OJV}" "${#v}" "${v//a/b}"; }; f',
  'cat <<EOF\nOJV $x\nEOF\necho done',
  'while read -r line; do echo "$line"; done < <(printf "%s\\n" OJV)',
  'echo "unterminated OJV',
  'a=( OJV ) b[OJV]=1 c=$((OJV)) env X=OJV cmd --flag=OJV',
];

/** Every [start, end) of 1 to 4 characters, and each word's. */
function rangesOf(text: string): [number, number][] {
  const ranges: [number, number][] = [];
  for (let s = 0; s < text.length; s++) for (let n = 1; n <= 4 && s + n <= text.length; n++) ranges.push([s, s + n]);
  for (const m of text.matchAll(/\w+/g)) ranges.push([m.index, m.index + m[0].length]);
  return ranges;
}

function preorder<T extends { children: (T | null)[] }>(root: T): T[] {
  const out: T[] = [];
  const visit = (n: T): void => {
    out.push(n);
    for (const c of n.children) if (c !== null) visit(c);
  };
  visit(root);
  return out;
}

describe('the bash parser in its thread', () => {
  it("gives the tree web-tree-sitter gives: every node, child, field, descendant and spanning node", async () => {
    await Parser.init();
    const language = await Language.load(require.resolve('tree-sitter-bash/tree-sitter-bash.wasm'));
    const parser = new Parser();
    parser.setLanguage(language);
    const fields = language.fields.filter((f): f is string => f !== null);
    for (const text of CORPUS) {
      const real = parser.parse(text)!;
      const ranges = rangesOf(text);
      const ours = parseBash(text, ranges);
      const realNodes = preorder<Node>(real.rootNode);
      const ourNodes = preorder<BashNode>(ours.root);
      const at = (n: Node | null) => (n === null ? -1 : realNodes.findIndex((r) => r.id === n.id));
      const ourAt = (n: BashNode | null) => (n === null ? -1 : ourNodes.indexOf(n));
      expect(ourNodes.length, text).toBe(realNodes.length);
      for (const [i, r] of realNodes.entries()) {
        const o = ourNodes[i]!;
        const where = `${text} @ node ${i} (${r.type})`;
        expect([o.type, o.isNamed, o.startIndex, o.endIndex, o.text], where).toEqual([r.type, r.isNamed, r.startIndex, r.endIndex, r.text]);
        expect(ourAt(o.parent), where).toBe(at(r.parent));
        expect(o.children.map(ourAt), where).toEqual(r.children.map(at));
        expect(o.namedChildren.map(ourAt), where).toEqual(r.namedChildren.map(at));
        for (let c = -1; c <= r.childCount; c++) expect(ourAt(o.child(c)), where).toBe(at(r.child(c)));
        for (const f of fields) {
          expect(ourAt(o.childForFieldName(f)), `${where} field ${f}`).toBe(at(r.childForFieldName(f)));
          expect(o.childrenForFieldName(f).map(ourAt), `${where} fields ${f}`).toEqual(r.childrenForFieldName(f).map(at));
        }
      }
      for (const type of new Set(realNodes.map((n) => n.type))) {
        const realOf = real.rootNode.descendantsOfType(type).map(at).filter((i) => i !== 0);
        expect(ours.root.descendantsOfType(type).map(ourAt), `${text}: descendants of type ${type}`).toEqual(realOf);
      }
      for (const [i, [s, e]] of ranges.entries()) {
        expect(ourAt(ours.spanning[i]!), `${text}: spanning [${s}, ${e})`).toBe(at(real.rootNode.descendantForIndex(s, e)));
      }
      real.delete();
    }
  });

  it('ends when it has had nothing to parse for a while, and starts again for the next parse', async () => {
    parseBash('echo OJV', [[5, 8]]);
    expect(parserRunning()).toBe(true);
    const deadline = Date.now() + PARSER_IDLE_MS + 60_000;
    while (parserRunning() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    expect(parserRunning()).toBe(false);
    expect(parseBash('echo OJV', [[5, 8]]).spanning[0]!.text).toBe('OJV');
    endParser();
    expect(parserRunning()).toBe(false);
    expect(parseBash('x=1', []).root.type).toBe('program');
  }, PARSER_IDLE_MS + 120_000);
});
