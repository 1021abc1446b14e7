/**
 * What the full protocol (index.ts) and the client's zod-free view
 * (client.ts) both export: everything but the method modules.
 */
export * from './version.js';
export * from './limits.js';
export * from './rpc.js';
export * from './errors.js';
export * from './paths.js';
export * from './project-root.js';
export * from './process-alive.js';
export * from './private-dir.js';
export * from './state-entries.js';
export * from './framing.js';
export * from './models.js';
export * from './protected-paths.js';
export * from './agent-state.js';
export * from './connection/json-rpc-connection.js';
export type * from './connection/connection-options.js';
export type { BeforeOutput } from './connection/outbox.js';
