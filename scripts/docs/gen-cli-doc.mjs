#!/usr/bin/env node
// Generates docs/cli.md from the CLI's own --help output (the yargs
// definitions), walking every command and subcommand, so the reference cannot
// drift from the code. `--check` exits 1 when docs/cli.md is out of date.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const target = join(root, 'docs', 'cli.md');

// One process: build the yargs tree for each path and capture --help without exiting.
process.env.NO_COLOR = '1';
const { buildCli } = await import(join(root, 'packages', 'cli', 'dist', 'main.js'));
const { RUN_USAGE } = await import(join(root, 'packages', 'cli', 'dist', 'commands', 'run-runbook-command.js'));
const { EXIT_CODES } = await import(join(root, 'packages', 'cli', 'dist', 'output', 'exit-codes.js'));
const { wrapHelp } = await import(join(root, 'packages', 'cli', 'dist', 'output', 'help-wrap.js'));
async function help(args) {
  if (args[0] === 'run') return RUN_USAGE.trimEnd();
  return new Promise((resolve, reject) => {
    buildCli([...args, '--help'])
      .exitProcess(false)
      .parse([...args, '--help'], {}, (err, _argv, output) => (err ? reject(err) : resolve(wrapHelp(output, 100).trimEnd())));
  });
}

/** Subcommand names listed under "Commands:" in a help text. */
function subcommands(text, prefix) {
  const out = [];
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.trim() === 'Commands:');
  if (start < 0) return out;
  for (const line of lines.slice(start + 1)) {
    if (!line.startsWith('  ')) break;
    const words = line.trim().split(/\s{2,}/)[0].split(' ');
    if (words[0] !== 'oj') continue;
    const path = [];
    for (const w of words.slice(1)) {
      if (w.startsWith('<') || w.startsWith('[') || w.startsWith('-')) break;
      path.push(w);
    }
    if (path.length > prefix.length && prefix.every((p, i) => path[i] === p)) out.push(path);
  }
  return out;
}

let doc = `# CLI reference

Generated from \`oj --help\` for every command (\`npm run docs\`); the test suite
fails when it is out of date. Every list and show takes \`--json\`.

## Exit codes

Every command ends with one of these (packages/cli/src/output/exit-codes.ts
decides them, for the daemon's errors too). \`oj run\` of a shell command
exits with the command's own status.

| code | meaning | for example |
| --- | --- | --- |
${EXIT_CODES.map((e) => `| ${e.code} | ${e.meaning} | ${e.examples} |`).join('\n')}

`;
/** Help texts of a command and all its subcommands, in order; siblings are fetched in parallel. */
async function walk(path) {
  const key = path.join(' ');
  const text = await help(path);
  const own = `## \`oj${key ? ' ' + key : ''}\`\n\n\`\`\`text\n${text}\n\`\`\`\n\n`;
  if (key === 'run') return [own];
  const subs = subcommands(text, path).filter((p) => p.length === path.length + 1);
  const children = await Promise.all(subs.map(walk));
  return [own, ...children.flat()];
}
const sections = await walk([]);
doc += sections.join('');
const seen = { size: sections.length };

if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {}
  if (current !== doc) {
    console.error('docs/cli.md is out of date: run `npm run docs`');
    process.exit(1);
  }
} else {
  writeFileSync(target, doc);
  console.log(`wrote ${target} (${seen.size} commands)`);
}
