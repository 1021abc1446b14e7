/** escalations.* methods (escalations/escalation-service.ts). */
import { EscalationMethods } from '@oj/protocol';
import type { EscalationService } from '../escalations/escalation-service.js';
import type { RpcRouter } from '../rpc/rpc-router.js';

export function registerEscalationHandlers(router: RpcRouter, service: EscalationService): void {
  router.handle(EscalationMethods.List, (p) => ({
    escalations: service.list({ project: p?.project, status: p?.status }).map((row) => service.info(row)),
  }));
  router.handle(EscalationMethods.Show, (p) => ({ escalation: service.info(service.get(p.id)) }));
  router.handle(EscalationMethods.Bump, (p) => ({ escalation: service.info(service.bump(p.id)) }));
  router.handle(EscalationMethods.Resolve, async (p) => {
    const { row, action } = await service.resolve(p.id, p.choice, {
      ...(p.message !== undefined ? { message: p.message } : {}),
      ...(p.phase !== undefined ? { phase: p.phase } : {}),
      ...(p.note !== undefined ? { note: p.note } : {}),
    });
    return { escalation: service.info(row), action };
  });
}
