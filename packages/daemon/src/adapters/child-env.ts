/**
 * The environment of every child ojd starts (phases, hooks, recovery
 * actions, guards, strategy commands, crons, monitor scripts, queue sources,
 * agent input sources and sessions, `oj run` shell commands), built here and
 * nowhere else. Later layers win:
 *
 * 1. a base: the daemon's own environment, or for `oj run`'s shell command
 *    the variables its caller sent; `OJ_*` dropped either way;
 * 2. the runbook's `env` layers, in the order the caller gives (passed
 *    through, then set; an agent's own `env` on top); secret-named values are
 *    remembered for redaction (log/redact.ts);
 * 3. `PATH`: the oj launcher directory (`<state>/bin`) first, then the `PATH`
 *    of the layers, else of the base, else of the daemon, else a fallback;
 * 4. oj's own variables, which nothing overrides: `OJ_SOCKET`,
 *    `OJ_STATE_DIR`, `OJ_PROJECT_ROOT`, then the child's own (`OJ_PIPELINE`,
 *    `OJ_QUEUE`...).
 *
 * docs/runbooks.md "Environment" states the same rule for users.
 */
import { registerSecretEnv } from '../log/redact.js';

export interface ChildEnvHost {
  stateDir: string;
  socketPath: string;
  /** Directory holding the `oj` launcher (<state>/bin), first on every child's PATH; null when the client is not found. */
  ojBinDir: string | null;
}

/** PATH when neither the runbook, the base nor the daemon has one. */
export const FALLBACK_PATH = '/usr/local/bin:/usr/bin:/bin';

type Vars = Readonly<Record<string, string>>;

export interface ChildEnvSpec {
  /** The project root (`OJ_PROJECT_ROOT`). */
  project: string;
  /** What the layers go on: the daemon's own environment unless given. */
  base?: Vars | undefined;
  /** The runbook's `env` variables, in layering order (later wins). */
  layers?: readonly Vars[];
  /** oj's variables for this child besides OJ_SOCKET, OJ_STATE_DIR and OJ_PROJECT_ROOT. */
  oj?: Vars;
}

declare const built: unique symbol;

/** An environment built by ChildEnvironment: the only kind a child is started with. */
export interface ChildEnv {
  /** The variables, as the child gets them. */
  readonly vars: Vars;
  /** The same environment with more runbook layers on top (an agent's `env`) and more of oj's variables. */
  with(more: { layers?: readonly Vars[]; oj?: Vars }): ChildEnv;
  readonly [built]: true;
}

/** A variable of a runbook `env` table whose value cannot be filled. */
export class EnvValueError extends Error {
  override readonly name = 'EnvValueError';
  constructor(
    readonly variable: string,
    readonly reason: string,
  ) {
    super(`env ${variable}: ${reason}`);
  }
}

/** The variables of `offered` that a runbook's `env` list names; the others are dropped. */
export function passedThrough(offered: Vars | undefined, names: readonly string[]): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of names) if (offered && Object.hasOwn(offered, name)) out[name] = offered[name]!;
  return out;
}

/** A runbook `env` table with its values filled by `fill` (as plain text, never shell code); throws EnvValueError. */
export function filledEnv(set: Vars, fill: (template: string) => string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, template] of Object.entries(set)) {
    try {
      out[name] = fill(template);
    } catch (err) {
      throw new EnvValueError(name, (err as Error).message);
    }
  }
  return out;
}

function withoutOj(env: Readonly<Record<string, string | undefined>>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(env)) if (v !== undefined && !k.startsWith('OJ_')) out[k] = v;
  return out;
}

export class ChildEnvironment {
  /** The daemon's own environment minus OJ_*. */
  private readonly daemon: Vars;

  constructor(
    private readonly host: ChildEnvHost,
    daemonEnv: Readonly<Record<string, string | undefined>> = process.env,
  ) {
    this.daemon = withoutOj(daemonEnv);
  }

  /** The environment of a child of `spec.project`. */
  of(spec: ChildEnvSpec): ChildEnv {
    const base = spec.base !== undefined ? withoutOj(spec.base) : this.daemon;
    const own: Record<string, string> = {};
    for (const layer of spec.layers ?? []) Object.assign(own, layer);
    registerSecretEnv(own); // a secret-named value is redacted in ojd's log from now on
    const path = own.PATH ?? base.PATH ?? this.daemon.PATH ?? FALLBACK_PATH;
    const vars: Record<string, string> = {
      ...base,
      ...own,
      PATH: [this.host.ojBinDir, path].filter(Boolean).join(':'),
      OJ_SOCKET: this.host.socketPath,
      OJ_STATE_DIR: this.host.stateDir,
      OJ_PROJECT_ROOT: spec.project,
      ...spec.oj,
    };
    const env = {
      vars,
      with: (more: { layers?: readonly Vars[]; oj?: Vars }) =>
        this.of({ ...spec, layers: [...(spec.layers ?? []), ...(more.layers ?? [])], oj: { ...spec.oj, ...more.oj } }),
    };
    return env as ChildEnv;
  }
}
