/**
 * The client's view of the protocol: everything but the zod schemas, so that
 * `oj` starts without loading zod. Method descriptors come from the generated
 * client-methods.ts (same names and types as the full modules).
 */
export * from './common.js';
export * from './client-methods.js';
