/**
 * Seeds a state directory before its daemon starts: finished pipelines and
 * events written straight into SQLite through the daemon's own storage
 * classes (so the schema and row shapes are the real ones), in a single
 * transaction. Thousands of CLI calls would measure the seeding, not oj.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { REPO } from './procs.mjs';

const dist = (p) => pathToFileURL(join(REPO, 'packages', 'daemon', 'dist', p)).href;

/**
 * Stores `pipelines` finished pipelines of `project` (a one-phase `work`
 * pipeline each, done, with its phase run) and `events` events in total
 * (the pipelines' own events first, then filler `bench:*` events).
 */
export async function seed(stateDir, project, { pipelines, events }) {
  const { Storage } = await import(dist('storage/storage.js'));
  mkdirSync(stateDir, { recursive: true, mode: 0o700 });
  const storage = Storage.open(join(stateDir, 'oj.db'));
  try {
    const start = Date.now() - pipelines * 1000;
    const definition = {
      runbook: 'bench',
      name: 'work',
      inputs: ['n'],
      defaults: {},
      phases: [{ name: 'work', run: 'true', pre: [], post: [] }],
      hooks: {},
    };
    let written = 0;
    storage.write(() => {
      for (let i = 0; i < pipelines; i++) {
        const id = `work-${String(i).padStart(6, '0')}`;
        const t = start + i * 1000;
        storage.pipelines.insert({
          state: {
            id,
            handle: id,
            status: 'done',
            phase: null,
            run: 1,
            visits: { work: 1 },
            recovery: {},
            waitingFor: null,
            error: null,
            failureCount: 0,
            createdAt: t,
            updatedAt: t + 20,
            phaseStartedAt: null,
            finishedAt: t + 20,
          },
          project,
          runbook: 'bench',
          name: 'work',
          definition,
          vars: { n: String(i), pipeline: id, name: id, project_root: project },
          workspace: null,
          label: null,
          archived: false,
          owner: null,
        });
        storage.pipelines.startRun(id, 1, 'work', null, t);
        storage.pipelines.finishRun(id, 1, 'done', 0, null, t + 20);
        for (const name of ['pipeline:created', 'pipeline:phase', 'pipeline:done']) {
          if (written >= events) break;
          storage.events.append({ name, subject: id, project, data: { pipeline: id, phase: 'work' } });
          written++;
        }
      }
      for (; written < events; written++) {
        storage.events.append({ name: 'bench:filler', subject: null, project, data: { n: written } });
      }
    });
  } finally {
    storage.close();
  }
}
