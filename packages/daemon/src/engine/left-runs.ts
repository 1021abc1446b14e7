/**
 * At start-up, the phase runs the previous daemon left (PipelineEngine.reconcile):
 * their process groups ended, and those runs marked failed to be run again,
 * in one write.
 */
import { killProcessGroup } from '../adapters/shell-runner.js';
import type { PipelineStore } from '../storage/pipeline-store.js';
import type { Storage } from '../storage/storage.js';

export interface LeftRuns {
  /** `pipeline#run` of runs whose agent session outlives the daemon: adopted, not run again. */
  adopting: Set<string>;
  /** Process groups ended. */
  killed: number;
  /** Recorded groups whose leader is gone or is not the process started then (pid reuse): not signalled. */
  spared: number[];
}

export function endLeftRuns(storage: Storage, store: PipelineStore): LeftRuns {
  const out: LeftRuns = { adopting: new Set(), killed: 0, spared: [] };
  const orphans = store.orphanedRuns();
  const stopped = store.stoppedRunsWithProcesses();
  storage.write(() => {
    // Runs a step stopped whose processes the old daemon did not see end (it died after the commit).
    for (const o of stopped) {
      if (killProcessGroup(o.pgid, o.pgidStart)) out.killed++;
      store.processGroupGone(o.pipelineId, o.run);
    }
    // A run that left an agent session keeps going (the session outlives the daemon, or
    // recorded how it ended); any other run's processes died with it and it runs again.
    for (const o of orphans) {
      if (o.session !== null) {
        out.adopting.add(`${o.pipelineId}#${o.run}`);
        continue;
      }
      if (o.pgid !== null) {
        if (killProcessGroup(o.pgid, o.pgidStart)) out.killed++;
        else out.spared.push(o.pgid);
      }
      store.finishRun(o.pipelineId, o.run, 'failed', null, 'daemon restarted during this run; run again', storage.now());
    }
  });
  return out;
}
