/**
 * Starts one session of an agent phase: renders the prompt (input sources
 * run where the agent will), installs the hooks of a Claude Code agent,
 * builds its environment (the phase's, the runbook's, then oj's own), records
 * the session row and starts the pty host. `seq` numbers the restarts of the
 * phase's run (the session id carries it).
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PhaseFailure, type PhaseRunContext } from '../engine/phase-runner.js';
import { asWords } from '../engine/pipeline-runtime.js';
import { faultPoint } from '../fault-point.js';
import { agentCommandLine, pipelineContext, renderAgent, type Agent } from '../runbook/index.js';
import type { SessionHandle } from '../sessions/index.js';
import { hookEnvironment, installHooksFor } from './agent-hooks-setup.js';
import type { AgentPhaseDeps } from './agent-phase.js';
import { inputSourceExecutor } from './input-sources.js';

export async function startAgentSession(d: AgentPhaseDeps, ctx: PhaseRunContext, agent: Agent, seq: number): Promise<SessionHandle> {
  const r = ctx.record;
  const id = `${r.state.id}-${ctx.phase.name}-${r.state.run}${seq ? `-${seq}` : ''}`
    .replace(/[^A-Za-z0-9_.-]/g, '-')
    .slice(0, 80);
  const context = pipelineContext({
    inputs: asWords(r.vars),
    runtime: { phase: ctx.phase.name, pipeline: r.state.handle, id: r.state.handle, session: id, error: r.state.error ?? '' },
  });
  const sources = inputSourceExecutor(ctx);
  const rendered = await renderAgent(agent, context, {
    projectRoot: r.project,
    // Without its own `cwd`, an input source runs where the agent will: the phase's directory
    // (the workspace once it exists; the default workspace path may not exist at all).
    executor: (command, cwd) => sources(command, agent.cwd !== null ? cwd : ctx.cwd),
  }).catch((err: unknown) => {
    throw new PhaseFailure(`cannot render the prompt of agent ${agent.name}: ${(err as Error).message}`);
  });
  // Without its own `cwd`, an agent works where the phase would: the workspace once it exists.
  const cwd = agent.cwd !== null ? rendered.cwd : ctx.cwd;
  const paths = d.supervisor.prepareDir(id);
  const promptFile = join(paths.dir, 'prompt.md');
  writeFileSync(promptFile, rendered.prompt, { mode: 0o600 });
  const commandLine = agentCommandLine(agent, context, rendered.prompt, promptFile);
  if (agent.heartbeat === 'claude') installHooksFor(cwd, agent.name);
  const env = ctx.env.with({
    layers: [rendered.env, { TERM: 'xterm-256color' }],
    oj: {
      OJ_SESSION: id,
      OJ_PROMPT_FILE: promptFile,
      OJ_WORKSPACE: typeof r.vars.workspace === 'string' ? r.vars.workspace : '',
      // The protected paths, for `oj session hook` to refuse a write even with ojd down.
      ...hookEnvironment(d.projects.get(r.project), r.project),
    },
  });
  // The agent's own env (as the runbook sets it); secret values are redacted by the logger.
  d.logger.debug('agent session starting', { session: id, agent: agent.name, cwd, env: rendered.env });
  const now = d.now();
  d.storage.write(() =>
    d.sessions.insert({
      id,
      project: r.project,
      pipeline_id: r.state.id,
      phase: ctx.phase.name,
      run: r.state.run,
      agent: agent.id,
      status: 'running',
      exit_code: null,
      cwd,
      dir: paths.dir,
      heartbeat: agent.heartbeat,
      restarts: seq,
      started_at: now,
      ended_at: null,
    }),
  );
  let handle: SessionHandle;
  try {
    handle = await d.supervisor.start({ id, command: ['bash', '-c', commandLine], cwd, env: { ...env.vars } });
  } catch (err) {
    d.storage.write(() => d.sessions.ended(id, 'vanished', null, d.now()));
    throw new PhaseFailure(`could not start agent ${agent.name}: ${(err as Error).message}`);
  }
  faultPoint('after-effect:session');
  d.supervised.add(id);
  d.storage.write(() => d.storage.pipelines.setSession(r.state.id, id));
  return handle;
}
