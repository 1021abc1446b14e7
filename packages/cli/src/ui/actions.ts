/**
 * What a page can change, each one RPC call as `oj` makes it: resolve an
 * escalation, resume, cancel or move a pipeline, redrive dead letters, type
 * into an agent's terminal. A form posts here (the CSRF token in a hidden
 * field) and is sent back to its page; the page's script posts the same
 * with the token in a header and `Accept: application/json`, and gets
 * `{ ok, message }` back.
 */
import { EscalationMethods, PipelineMethods, QueueMethods, SessionMethods } from '@oj/protocol/client';
import type { DaemonLink } from './daemon-link.js';

export class BadAction extends Error {}

export interface Action {
  /** The path after /act/, split. */
  parts: string[];
  form: URLSearchParams;
}

const field = (f: URLSearchParams, name: string): string | undefined => {
  const v = f.get(name);
  return v === null || v === '' ? undefined : v;
};

/** Runs the action; resolves to what to tell the person. */
export async function runAction(link: DaemonLink, a: Action): Promise<string> {
  const [kind, id, verb] = a.parts;
  const f = a.form;
  if (kind === 'escalation' && id && /^\d+$/.test(id) && verb === undefined) {
    const choice = field(f, 'choice');
    const message = field(f, 'message');
    const phase = field(f, 'phase');
    const r = await link.call(EscalationMethods.Resolve, {
      id: Number(id),
      ...(choice !== undefined ? { choice: /^\d+$/.test(choice) ? Number(choice) : choice } : {}),
      ...(message !== undefined ? { message } : {}),
      ...(phase !== undefined ? { phase } : {}),
      note: 'resolved from the dashboard',
    });
    return `escalation ${r.escalation.id} resolved: ${r.action}`;
  }
  if (kind === 'pipeline' && id) {
    const project = field(f, 'project');
    const where = { id, ...(project ? { project } : {}) };
    if (verb === 'resume') return `${(await link.call(PipelineMethods.Resume, where)).pipeline.id} resumed`;
    if (verb === 'cancel') return `${(await link.call(PipelineMethods.Cancel, { ...where, reason: 'cancelled from the dashboard' })).pipeline.id} cancelled`;
    if (verb === 'transition') {
      const phase = field(f, 'phase');
      if (!phase) throw new BadAction('say which phase');
      const r = await link.call(PipelineMethods.Transition, { ...where, phase });
      return `${r.pipeline.id} moved to ${phase}`;
    }
  }
  if (kind === 'queue' && id === 'retry' && verb === undefined) {
    const project = field(f, 'project');
    const queue = field(f, 'queue');
    if (!project || !queue) throw new BadAction('say which project and queue');
    const item = field(f, 'id');
    const r = await link.call(QueueMethods.Retry, { project, queue, ...(item !== undefined ? { id: item } : { all: true }) });
    return `${r.items.length} item(s) redriven to ${queue}`;
  }
  if (kind === 'session' && id && verb === 'send') {
    const text = f.get('text') ?? '';
    if (text === '') throw new BadAction('nothing to send');
    const raw = f.get('raw') === '1';
    const enter = f.get('enter') === '1';
    const r = await link.call(SessionMethods.Send, { id, text, ...(raw ? { raw: true } : {}), ...(enter ? { enter: true } : {}) });
    return `${r.bytes} byte(s) sent`;
  }
  throw new BadAction(`no such action: /act/${a.parts.join('/')}`);
}
