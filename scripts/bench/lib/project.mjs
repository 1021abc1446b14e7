/** Bench projects: a directory with `.oj/runbooks/<name>.toml`, and the runbooks the sections use. */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export function makeProject(dir, runbooks) {
  mkdirSync(join(dir, '.oj', 'runbooks'), { recursive: true });
  for (const [name, text] of Object.entries(runbooks)) writeFileSync(join(dir, '.oj', 'runbooks', `${name}.toml`), text);
  return dir;
}

/** `[pipeline.steps]`: `phases` phases that each run `true`. */
export function stepsRunbook(phases) {
  let text = '[pipeline.steps]\n';
  for (let i = 1; i <= phases; i++) text += `\n[[pipeline.steps.phase]]\nname = "p${i}"\nrun = "true"\n`;
  return text;
}

/** A queue drained by a worker whose handler is a one-phase `true` pipeline. */
export function queueRunbook(concurrency) {
  return `
[queue.items]

[worker.drain]
queue = "items"
handler = "pipeline.handle"
concurrency = ${concurrency}

[pipeline.handle]
inputs = ["item"]

[[pipeline.handle.phase]]
name = "work"
run = "true"
`;
}

/** Idle cost: `workers` started workers on empty queues, and a 1-second cron running `cronRun` (null: no command). */
export function idleRunbook(workers, cronRun = 'true') {
  let text = '';
  for (let i = 1; i <= workers; i++) {
    text += `
[queue.q${i}]

[worker.w${i}]
queue = "q${i}"
handler = "pipeline.handle"
concurrency = 2
`;
  }
  return (
    text +
    `
[pipeline.handle]
inputs = ["item"]

[[pipeline.handle.phase]]
name = "work"
run = "true"

[cron.tick]
interval = "1s"
${cronRun === null ? '' : `run = ${JSON.stringify(cronRun)}\n`}`
  );
}
