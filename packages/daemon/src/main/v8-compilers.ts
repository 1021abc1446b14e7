/**
 * V8's compilers on demand. An idle daemon spends its life waiting; what
 * little JavaScript it runs (a cron tick, a worker finding its queue empty)
 * runs as well in V8's interpreter. Left alone, V8 still compiles the code
 * that runs now and then with its baseline (Sparkplug) and optimizing
 * (TurboFan; Maglev too from V8 12) compilers, and the compilers' own code (~4 MB of the node binary)
 * and what they make (~2 MB) then stay resident for good: about a tenth of
 * an idle ojd (docs/performance.md, "Idle memory").
 *
 * So bin/ojd.js starts the daemon with them off (v8-compiler-flags.ts),
 * and this turns them on, for the rest of the process's life, as soon as the
 * daemon is busy (core/compilers/compiler-demand.ts: requests handled and
 * transactions committed); from then on V8 tiers up as it always does.
 * OJ_COMPILERS=eager leaves them on from the start (V8's defaults).
 */
import { setFlagsFromString } from 'node:v8';
import type { Logger } from 'winston';
import { IDLE_DEMAND, noteWork } from '../core/compilers/compiler-demand.js';
import { compilersOn } from './v8-compiler-flags.js';

export type CompilerMode = 'on-demand' | 'eager';

const MODES: readonly CompilerMode[] = ['on-demand', 'eager'];

/** The mode OJ_COMPILERS asks for (on-demand when unset); throws, in words, on anything else. */
export function compilerMode(env: NodeJS.ProcessEnv = process.env): CompilerMode {
  const ask = env.OJ_COMPILERS ?? 'on-demand';
  if (!(MODES as readonly string[]).includes(ask)) throw new Error(`OJ_COMPILERS must be one of ${MODES.join(', ')} (got "${ask}")`);
  return ask as CompilerMode;
}

export class V8Compilers {
  private demand = IDLE_DEMAND;

  constructor(
    readonly mode: CompilerMode,
    private readonly logger: Logger,
    private readonly now: () => number = () => performance.now(),
  ) {
    if (mode === 'eager') this.demand = { ...IDLE_DEMAND, busy: true };
  }

  /** Whether the compilers are on. */
  get on(): boolean {
    return this.demand.busy;
  }

  /** A unit of work (a request handled, a transaction committed). */
  readonly note = (): void => {
    if (this.demand.busy) return;
    this.demand = noteWork(this.demand, this.now());
    if (!this.demand.busy) return;
    setFlagsFromString(compilersOn());
    this.logger.info("busy: V8's optimizing compilers are on from now on");
  };
}
