/**
 * The client's view of the protocol: everything but the zod schemas, so that
 * `oj` starts without loading zod. Method descriptors come from the generated
 * client-methods.ts (same names and types as the full modules).
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
export * from './connection/json-rpc-connection.js';
export type * from './connection/connection-options.js';
export * from './models.js';
export * from './client-methods.js';
