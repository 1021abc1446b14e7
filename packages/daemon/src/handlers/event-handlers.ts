/** events.* methods: emit, list, follow/unfollow (notifications on the connection). */
import { EventMethods, OjError, type EventRecord, type JsonValue } from '@oj/protocol';
import type { DaemonContext } from '../main/daemon-context.js';
import type { RpcRouter } from '../rpc/rpc-router.js';

const BACKLOG_PAGE = 1000;

export function registerEventHandlers(router: RpcRouter, d: DaemonContext): void {
  const subscriptions = new Map<string, () => void>();
  let nextSub = 1;

  router.handle(EventMethods.Emit, (p) => {
    const event = d.events.emit({
      name: p.name,
      subject: p.subject ?? null,
      project: p.project ?? null,
      data: (p.data ?? {}) as Record<string, JsonValue>,
    });
    return { event };
  });

  router.handle(EventMethods.List, (p) => {
    const events = d.storage.events.list({
      since: p?.since,
      name: p?.name,
      project: p?.project,
      limit: p?.limit,
    });
    return { events, lastId: d.storage.events.lastId() };
  });

  router.handle(EventMethods.Follow, (p, ctx) => {
    const subscription = `${ctx.id}.${nextSub++}`;
    const lastId = d.storage.events.lastId();
    const since = p?.since ?? lastId;
    const send = (event: EventRecord) => ctx.notify(EventMethods.EventNotification, { subscription, event });
    // After the response is written: send the backlog, then attach for live
    // events. Both happen in one synchronous step, so nothing falls between.
    setImmediate(() => {
      if (ctx.closed) return;
      let cursor = since;
      for (;;) {
        const page = d.storage.events.list({ since: cursor, name: p?.name, project: p?.project, limit: BACKLOG_PAGE });
        for (const e of page) send(e);
        const last = page[page.length - 1];
        if (!last || page.length < BACKLOG_PAGE) break;
        cursor = last.id;
      }
      const detach = d.events.follow({ name: p?.name, project: p?.project, deliver: send });
      subscriptions.set(subscription, detach);
      ctx.onClose(() => {
        detach();
        subscriptions.delete(subscription);
      });
    });
    return { subscription, lastId };
  });

  router.handle(EventMethods.Unfollow, (p, ctx) => {
    const detach = subscriptions.get(p.subscription);
    if (!detach || !p.subscription.startsWith(`${ctx.id}.`)) throw OjError.notFound('subscription', p.subscription);
    detach();
    subscriptions.delete(p.subscription);
    return { ok: true as const };
  });
}
