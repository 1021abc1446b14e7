/** The version of oj; the daemon and the client must agree on it. */
export const OJ_VERSION = '0.1.0';
/** Bumped when a method's shape changes incompatibly. */
export const PROTOCOL_VERSION = 1;
