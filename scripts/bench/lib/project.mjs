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

/**
 * The queue section's runbook: `items`, drained by a worker whose handler is a
 * one-phase `true` pipeline (one process per item); `quiet`, drained by a
 * worker whose handler's one phase runs nothing (a phase with no `run` only
 * marks progress: no process); and `rpc`, taken and completed by clients.
 */
export function queueRunbook(concurrency) {
  return `
[queue.rpc]

[queue.quiet]

[worker.quiet]
queue = "quiet"
handler = "pipeline.mark"
concurrency = ${concurrency}

[pipeline.mark]
inputs = ["item"]

[[pipeline.mark.phase]]
name = "done"

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
