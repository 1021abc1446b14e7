/** The append-only event log: emit, list, follow. */
import { z } from 'zod';
import type { ClusterEventRecord, EventRecord } from '../models.js';
import { method, notification } from '../rpc.js';
import { once } from '../once.js';

/** Event names: letters, digits and `:_.-/`, e.g. "bug:created". */
export const eventName = once(() =>
  z
    .string()
    .min(1)
    .max(200)
    .regex(/^[A-Za-z0-9_.:/-]+$/, 'event names use letters, digits and : _ . - /'),
);

/** A name filter: an event name where `*` matches any run of characters. */
export const eventPattern = once(() =>
  z
    .string()
    .min(1)
    .max(200)
    .regex(/^[A-Za-z0-9_.:/*-]+$/, 'patterns use letters, digits, : _ . - / and *'),
);

const jsonValue = once((): z.ZodType<unknown> => z.unknown());

export const Emit = method<{ event: EventRecord }>()(
  'events.emit',
  () =>
    z
      .object({
        name: eventName(),
        subject: z.string().max(500).optional(),
        data: z.record(z.string(), jsonValue()).optional(),
        project: z.string().optional(),
      })
      .strict(),
  'Record an event (and wake whatever waits on it).',
);

const filter = once(() => ({
  since: z.number().int().min(0).optional(),
  name: eventPattern().optional(),
  project: z.string().optional(),
}));

export const List = method<{ events: EventRecord[]; lastId: number }>()(
  'events.list',
  () => z.object({ ...filter(), limit: z.number().int().min(1).max(100000).optional() }).strict().optional(),
  'List events with id > since, oldest first (default: the last 100).',
);

export const Cluster = method<{ events: ClusterEventRecord[]; lastSeq: number }>()(
  'events.cluster',
  () =>
    z
      .object({
        since: z.number().int().min(0).optional(),
        name: eventPattern().optional(),
        project: z.string().optional(),
        limit: z.number().int().min(1).max(100000).optional(),
      })
      .strict()
      .optional(),
  'Cluster mode: the events of every host, merged by time (ties in the order they reached the database), oldest first; `since` is a cluster sequence number (default: the last 100).',
);

export const Follow = method<{ subscription: string; lastId: number }>()(
  'events.follow',
  () => z.object(filter()).strict().optional(),
  'Stream events as `events.event` notifications on this connection: first those after `since`, then live ones.',
);

export const Unfollow = method<{ ok: true }>()(
  'events.unfollow',
  () => z.object({ subscription: z.string() }).strict(),
  'Stop a follow started on this connection.',
);

export const EventNotification = notification<{ subscription: string; event: EventRecord }>()(
  'events.event',
  'An event matching a follow on this connection.',
);
