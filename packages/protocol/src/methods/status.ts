/** `oj status`: the whole picture at a glance. */
import { z } from 'zod';
import { method } from '../rpc.js';
import type { DaemonStatus } from './daemon.js';
import type { PipelineInfo } from './pipelines.js';
import type { SessionInfo } from './sessions.js';

/** One section a capability contributes (workers, crons, locks, semaphores...): records with the same keys. */
export interface OverviewSection {
  title: string;
  rows: Record<string, string | number | boolean | null>[];
}

export interface StatusOverview {
  daemon: DaemonStatus;
  /** The project it is scoped to, or null for every project. */
  project: string | null;
  /** Pipelines under way (running, waiting, escalated). */
  active: PipelineInfo[];
  /** Pipelines that need a human: escalated, or waiting for one. */
  needsYou: PipelineInfo[];
  /** The latest failed pipelines. */
  recentFailures: PipelineInfo[];
  sessions: SessionInfo[];
  sections: Record<string, OverviewSection>;
  /** Runbook load problems of the project(s). */
  runbookErrors: string[];
}

export const Overview = method<StatusOverview>()(
  'status.overview',
  z.object({ project: z.string().optional() }).strict().optional(),
  'Everything `oj status` shows: what runs, what waits, what is stuck, what needs a human.',
);
