/**
 * Which spawner ojd uses (process-spawner.ts). OJ_SPAWNER=native|node|inline
 * asks for one, and ojd refuses to start when the one asked for is not there.
 * Unset: the native helper when it was built, else the Node spawner process
 * (saying why in `oj daemon status`), else, for code run from its TypeScript
 * sources with neither built (unit tests), inline.
 */
import { accessSync, constants, existsSync } from 'node:fs';
import { ChildSpawner, NativeSpawner, type ProblemReporter } from './helper-spawner.js';
import { InlineSpawner, NATIVE_SPAWNER, SPAWNER_ENTRY, type ProcessSpawner, type SpawnerKind } from './process-spawner.js';

export interface SpawnerChoice {
  kind: SpawnerKind;
  /** Why this one and not the native helper, when it was not asked for; null otherwise. */
  fallback: string | null;
}

export interface SpawnersBuilt {
  /** Where the native helper is, when it was built and can be run; null otherwise. */
  native: string | null;
  node: boolean;
}

const KINDS: readonly SpawnerKind[] = ['native', 'node', 'inline'];

/** The spawner `requested` (OJ_SPAWNER) names, given what is built; throws, in words, when that cannot be. */
export function chooseSpawner(requested: string | undefined, built: SpawnersBuilt): SpawnerChoice {
  const ask = requested?.trim() ?? '';
  if (ask !== '' && !(KINDS as readonly string[]).includes(ask)) {
    throw new Error(`OJ_SPAWNER must be one of ${KINDS.join(', ')} (got "${ask}")`);
  }
  if (ask === 'native' && !built.native) throw new Error(`OJ_SPAWNER=native, but ${missingNative()}`);
  if (ask === 'node' && !built.node) {
    throw new Error(`OJ_SPAWNER=node, but the Node spawner is not compiled (${SPAWNER_ENTRY} is missing): run \`npm run build\``);
  }
  if (ask !== '') return { kind: ask as SpawnerKind, fallback: null };
  if (built.native) return { kind: 'native', fallback: null };
  if (built.node) return { kind: 'node', fallback: missingNative() };
  return { kind: 'inline', fallback: `${missingNative()}, and neither is the Node spawner (running from sources)` };
}

function missingNative(): string {
  return `oj's native spawner is not built (${NATIVE_SPAWNER} is missing or cannot be run; \`npm run build\` builds it with a C compiler)`;
}

/** What is built here. */
export function spawnersBuilt(): SpawnersBuilt {
  let native: string | null = null;
  try {
    accessSync(NATIVE_SPAWNER, constants.X_OK);
    native = NATIVE_SPAWNER;
  } catch {
    // not built
  }
  return { native, node: existsSync(SPAWNER_ENTRY) };
}

export interface ChosenSpawner {
  spawner: ProcessSpawner;
  choice: SpawnerChoice;
}

/** The spawner OJ_SPAWNER asks for, or the best one built (see chooseSpawner). */
export function createProcessSpawner(onProblem?: ProblemReporter, onSpawnerStarted?: (pid: number) => void): ChosenSpawner {
  const built = spawnersBuilt();
  const choice = chooseSpawner(process.env.OJ_SPAWNER, built);
  const spawner =
    choice.kind === 'native'
      ? new NativeSpawner(onProblem, built.native ?? NATIVE_SPAWNER, onSpawnerStarted)
      : choice.kind === 'node'
        ? new ChildSpawner(onProblem, SPAWNER_ENTRY, onSpawnerStarted)
        : new InlineSpawner();
  return { spawner, choice };
}
