/** Plugs the queues capability into the daemon. */
import type { Capability, WiringContext } from './wiring.js';

export function wireQueues(_ctx: WiringContext): Capability {
  return {};
}
