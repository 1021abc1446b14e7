/** status.overview: one answer to "what is running, what is stuck, what needs me". */
import { SessionMethods, StatusMethods, type OverviewSection, type SessionInfo } from '@oj/protocol';
import type { RpcRouter } from '../rpc/rpc-router.js';
import type { DaemonContext } from './daemon-context.js';
import type { PipelineService } from '../engine/pipeline-service.js';
import type { ProjectRegistry } from '../projects/project-registry.js';
import { needsYouOf, type OpenEscalation } from './needs-you.js';

/** What a capability (main/wiring.ts) adds to the overview: its sections, for one project or all. */
export interface OverviewSource {
  overview?(project: string | undefined): Record<string, OverviewSection> | Promise<Record<string, OverviewSection>>;
}

export interface StatusHandlerDeps {
  daemon: DaemonContext;
  pipelines: PipelineService;
  projects: ProjectRegistry;
  capabilities: () => OverviewSource[];
  sessions: (project: string | undefined) => SessionInfo[];
  openEscalations: (project: string | undefined) => OpenEscalation[];
}

export function registerStatusHandlers(router: RpcRouter, d: StatusHandlerDeps): void {
  void SessionMethods;
  router.handle(StatusMethods.Overview, async (p) => {
    const project = p?.project;
    const sections: Record<string, OverviewSection> = {};
    for (const c of d.capabilities()) Object.assign(sections, (await c.overview?.(project)) ?? {});
    const { active, needsYou, recentFailures } = d.pipelines.overview(project);
    const sessions = d.sessions(project);
    return {
      daemon: await d.daemon.status(),
      project: project ?? null,
      active,
      needsYou: needsYouOf(needsYou, active, sessions, d.openEscalations(project)),
      recentFailures,
      sessions,
      sections,
      runbookErrors: d.projects.runbookErrors(project),
    };
  });
}
