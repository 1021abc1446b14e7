/**
 * How ojd starts shell children. Three spawners take the same request and
 * give the same events (spawner-choice.ts picks one):
 *   - native: a small C helper (native/oj-spawn.c) that starts children with
 *     posix_spawn, which does not copy ojd (helper-spawner.ts, native-frames.ts);
 *   - node: a small Node process (spawner-process.ts) that forks itself, not
 *     ojd, for each child: the fallback where the helper could not be built;
 *   - inline: ojd's own child_process (OJ_SPAWNER=inline).
 * The daemon makes one spawner and hands it to its shell runner.
 */
import { fileURLToPath } from 'node:url';
import { launch, type LaunchEvents, type LaunchRequest, type OutputControl } from './launch.js';

export type SpawnerKind = 'native' | 'node' | 'inline';

/** `started` is where the caller records the process group: the spawner keeps the group its own until it returns. */
export interface RunEvents extends LaunchEvents {
  /**
   * The run was lost with the spawner process: its group was killed.
   * `again`: whether starting it again makes sense (not while ojd closes the spawner).
   */
  lost(reason: string, again: boolean): void;
}

export interface ProcessSpawner {
  readonly kind: SpawnerKind;
  /** Starts a run; the control holds its output back while its consumer is behind (see valve.ts). */
  launch(r: LaunchRequest, ev: RunEvents): OutputControl;
  /** Starts the spawner process ahead of the first run. */
  warm(): void;
  /** Stops the spawner process; runs still in flight are killed and reported lost (not to be started again). */
  close(): Promise<void>;
  /** The spawner process's pid while it runs (null inline or not started). */
  pid(): number | null;
}

/** The Node spawner process's script: the compiled file beside this one (absent when this runs from TypeScript sources). */
export const SPAWNER_ENTRY = fileURLToPath(new URL('./spawner-process.js', import.meta.url));

/** The native helper, built from native/oj-spawn.c at install and by `npm run build` (scripts/build-native.mjs). */
export const NATIVE_SPAWNER = fileURLToPath(new URL('../../build/oj-spawn', import.meta.url));

export class InlineSpawner implements ProcessSpawner {
  readonly kind = 'inline';
  launch(r: LaunchRequest, ev: RunEvents): OutputControl {
    return launch(r, ev);
  }
  warm(): void {}
  async close(): Promise<void> {}
  pid(): number | null {
    return null;
  }
}
