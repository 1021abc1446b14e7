/** Plugs escalations into the daemon: records, notifications, `escalations.*`. */
import { EscalationMethods, type OverviewSection } from '@oj/protocol';
import { EscalationService } from '../escalations/escalation-service.js';
import type { Capability, WiringContext } from './wiring.js';

export function wireEscalations(ctx: WiringContext, sendToSession: (session: string, text: string) => Promise<void>): Capability {
  const service = new EscalationService({
    storage: ctx.storage,
    events: ctx.events,
    engine: ctx.engine,
    logger: ctx.logger,
    now: ctx.now,
    sendToSession,
  });
  const r = ctx.router;
  r.handle(EscalationMethods.List, (p) => ({
    escalations: service.store.list({ project: p?.project, status: p?.status }).map((row) => service.info(row)),
  }));
  r.handle(EscalationMethods.Show, (p) => ({ escalation: service.info(service.get(p.id)) }));
  r.handle(EscalationMethods.Bump, (p) => ({ escalation: service.info(service.bump(p.id)) }));
  r.handle(EscalationMethods.Resolve, async (p) => {
    const { row, action } = await service.resolve(p.id, p.choice, {
      ...(p.message !== undefined ? { message: p.message } : {}),
      ...(p.phase !== undefined ? { phase: p.phase } : {}),
      ...(p.note !== undefined ? { note: p.note } : {}),
    });
    return { escalation: service.info(row), action };
  });
  return {
    counts: () => ({ 'escalations.open': service.store.list({ status: 'open' }).length }),
    overview: (project): Record<string, OverviewSection> => {
      const open = service.store.list({ project, status: 'open' });
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
