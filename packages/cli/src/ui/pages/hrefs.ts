/** The dashboard's addresses: pages, and the actions their forms post to. */
import { query } from '../html.js';

const enc = encodeURIComponent;

/** A pipeline by its key, or by its id in `project`. */
export const pipelineHref = (key: string, project?: string) => `/pipeline/${enc(key)}${query({ project })}`;
export const sessionHref = (id: string) => `/session/${enc(id)}`;
export const queueHref = (project: string, name: string) => `/queue${query({ project, name })}`;
export const eventsHref = (f: { name?: string | undefined; project?: string | undefined }) => `/events${query({ name: f.name, project: f.project })}`;

export const pipelineAct = (key: string, verb: 'resume' | 'cancel' | 'transition') => `/act/pipeline/${enc(key)}/${verb}`;
export const escalationAct = (id: number) => `/act/escalation/${id}`;
export const sessionSendAct = (id: string) => `/act/session/${enc(id)}/send`;
export const queueRetryAct = '/act/queue/retry';
