/** `[safety] protected` matching lives in @oj/protocol: `oj session hook` (the CLI) enforces it for agents too. */
export { protectedPaths, type ProtectedPaths } from '@oj/protocol';
