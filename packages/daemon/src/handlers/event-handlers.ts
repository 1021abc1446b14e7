/** events.* methods: emit, list, follow/unfollow (notifications on the connection). */
import { EventMethods, OjError, type EventRecord, type JsonValue } from '@oj/protocol';
import type { DaemonContext } from './daemon-context.js';
import type { RpcRouter } from '../rpc/rpc-router.js';

/** Backlog events read and sent per step of a follow. */
const BACKLOG_PAGE = 200;

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
    const events = d.events.list({
      since: p?.since,
      name: p?.name,
      project: p?.project,
      limit: p?.limit,
    });
    return { events, lastId: d.events.lastId() };
  });

  router.handle(EventMethods.Cluster, async (p) => {
    const shared = d.clusterEvents;
    if (!shared) {
      throw OjError.illegalState('this daemon is not in a cluster (no database URL): its own events are all there are', {
        hint: 'oj events lists them; docs/cluster.md says how to set up cluster mode',
      });
    }
    return shared.list({ since: p?.since, name: p?.name, project: p?.project, limit: p?.limit });
  });

  router.handle(EventMethods.Follow, (p, ctx) => {
    const subscription = `${ctx.id}.${nextSub++}`;
    const lastId = d.events.lastId();
    const since = p?.since ?? lastId;
    const send = (event: EventRecord) => ctx.notify(EventMethods.EventNotification, { subscription, event });
    // Live events are heard from the start but held back until the backlog is out; the
    // backlog goes a page at a time, each page only once the client has read enough of
    // the last (flow control), with the event loop free in between; a client that goes
    // away stops it. Ids decide what was sent, so nothing is sent twice or skipped.
    let sentUpTo = since;
    let held: EventRecord[] | null = [];
    const deliver = (event: EventRecord) => {
      if (held) held.push(event);
      else if (event.id > sentUpTo) {
        sentUpTo = event.id;
        send(event);
      }
    };
    const detach = d.events.follow({ name: p?.name, project: p?.project, deliver });
    subscriptions.set(subscription, detach);
    ctx.onClose(() => {
      detach();
      subscriptions.delete(subscription);
    });
    void (async () => {
      await new Promise((resolve) => setImmediate(resolve)); // after the response is written
      for (;;) {
        await ctx.writable();
        if (ctx.closed || !subscriptions.has(subscription)) return;
        const page = d.events.list({ since: sentUpTo, name: p?.name, project: p?.project, limit: BACKLOG_PAGE });
        for (const e of page) send(e);
        const last = page[page.length - 1];
        if (last) sentUpTo = last.id;
        if (page.length < BACKLOG_PAGE) break;
        await new Promise((resolve) => setImmediate(resolve));
      }
      const waiting = held ?? [];
      held = null;
      for (const e of waiting) deliver(e);
    })();
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
