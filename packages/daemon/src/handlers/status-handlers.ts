/** status.overview: one answer to "what is running, what is stuck, what needs me". */
import { SessionMethods, StatusMethods, type OverviewSection, type SessionInfo } from '@oj/protocol';
import type { RpcRouter } from '../rpc/rpc-router.js';
import type { DaemonContext } from './daemon-context.js';
import type { ProjectRegistry } from '../projects/project-registry.js';
import { ACTIVE_STATUSES } from '../core/pipeline-state.js';
import { toPipelineInfo } from '../storage/pipeline-store.js';

/** What a capability (main/wiring.ts) adds to the overview: its sections, for one project or all. */
export interface OverviewSource {
  overview?(project: string | undefined): Record<string, OverviewSection>;
}

export function registerStatusHandlers(
  router: RpcRouter,
  d: DaemonContext,
  projects: ProjectRegistry,
  capabilities: () => OverviewSource[],
  sessions: (project: string | undefined) => SessionInfo[],
): void {
  void SessionMethods;
  router.handle(StatusMethods.Overview, (p) => {
    const project = p?.project;
    const active = d.storage.pipelines.list({ project, statuses: ACTIVE_STATUSES, archived: false }).map(toPipelineInfo);
    const needsYou = active.filter((x) => x.status === 'escalated' || x.waitingFor?.kind === 'human');
    const recentFailures = d.storage.pipelines.list({ project, statuses: ['failed'], archived: false, limit: 5 }).map(toPipelineInfo);
    const sections: Record<string, OverviewSection> = {};
    for (const c of capabilities()) Object.assign(sections, c.overview?.(project) ?? {});
    // In the all-projects view each error names its project: the file paths in it are relative to it.
    const runbookErrors = project
      ? (projects.peek(project), projects.errors(project))
      : projects.status().flatMap((s) => s.errors.map((e) => (/^\s/.test(e) ? e : `project ${s.root}: ${e}`)));
    return {
      daemon: d.status(),
      project: project ?? null,
      active,
      needsYou,
      recentFailures,
      sessions: sessions(project),
      sections,
      runbookErrors,
    };
  });
}
