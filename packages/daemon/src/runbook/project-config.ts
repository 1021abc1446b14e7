/**
 * `.oj/config.toml`: project-wide settings and defaults. Optional; unknown
 * tables and keys are errors, like in runbooks.
 *
 *   [pipeline]
 *   max_phase_visits = 5     # circuit breaker: runs of one phase per pipeline instance
 *
 *   [agent]
 *   command = "claude"       # agent command when an [agent.x] sets neither command nor run
 *
 *   [project]
 *   name = "acme-web"        # its identity in a cluster (default: the git origin, else the directory name)
 */
import { ErrorSink, type RunbookError } from './runbook-error.js';
import { TableReader } from './table-reader.js';
import { parseToml } from './toml-file.js';

export interface ProjectConfig {
  pipeline: { max_phase_visits: number };
  agent: { command: string };
  /** `name`: the project's cluster-wide identity as written (null: derived from the git origin or directory). */
  project: { name: string | null };
}

export const DEFAULT_CONFIG: ProjectConfig = {
  pipeline: { max_phase_visits: 5 },
  agent: { command: 'claude' },
  project: { name: null },
};

export const CONFIG_FIELDS = {
  top: ['pipeline', 'agent', 'project'],
  pipeline: ['max_phase_visits'],
  agent: ['command'],
  project: ['name'],
} as const;

export type ConfigParse = { config: ProjectConfig; errors: RunbookError[] };

/** Parse config text (null: no config file). `file` is the path shown in errors. */
export function parseProjectConfig(text: string | null, file: string): ConfigParse {
  const config: ProjectConfig = structuredClone(DEFAULT_CONFIG);
  if (text === null) return { config, errors: [] };
  const parsed = parseToml(text, file);
  if (!parsed.ok) return { config, errors: [parsed.error] };
  const sink = new ErrorSink();
  const top = TableReader.open(parsed.table, { file }, sink, CONFIG_FIELDS.top, 'the config');
  const pipeline = top.child('pipeline', CONFIG_FIELDS.pipeline);
  const visits = pipeline?.integer('max_phase_visits', { min: 1 });
  if (visits !== undefined) config.pipeline.max_phase_visits = visits;
  const agent = top.child('agent', CONFIG_FIELDS.agent);
  const command = agent?.string('command', { nonEmpty: true });
  if (command !== undefined) config.agent.command = command;
  const project = top.child('project', CONFIG_FIELDS.project);
  const name = project?.string('name', { nonEmpty: true });
  if (name !== undefined) config.project.name = name;
  return { config, errors: sink.errors };
}
