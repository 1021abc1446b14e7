/** Plugs escalations into the daemon: records, notifications, `escalations.*`. */
import type { OverviewSection } from '@oj/protocol';
import { EscalationService } from '../escalations/escalation-service.js';
import { registerEscalationHandlers } from '../handlers/escalation-handlers.js';
import type { OpenEscalation } from '../handlers/needs-you.js';
import type { Capability, WiringContext } from './wiring.js';

export function wireEscalations(
  ctx: WiringContext,
  sendToSession: (session: string, text: string) => Promise<void>,
): Capability & { open(project: string | undefined): OpenEscalation[] } {
  const service = new EscalationService({
    storage: ctx.storage,
    events: ctx.events,
    engine: ctx.engine,
    logger: ctx.logger,
    now: ctx.now,
    sendToSession,
  });
  registerEscalationHandlers(ctx.router, service);
  return {
    open: (project) => service.list({ project, status: 'open' }).map((o) => ({ id: o.id, pipelineKey: o.pipeline_id, session: o.session_id })),
    counts: () => ({ 'escalations.open': service.list({ status: 'open' }).length }),
    overview: (project): Record<string, OverviewSection> => {
      const open = service.list({ project, status: 'open' });
      if (open.length === 0) return {};
      return {
        escalations: {
          title: 'Open escalations (oj escalation review)',
          rows: open.map((o) => ({ id: o.id, pipeline: o.pipeline_id, phase: o.phase, reason: o.reason.slice(0, 60), since: new Date(o.created_at).toISOString().slice(11, 19) })),
        },
      };
    },
  };
}
