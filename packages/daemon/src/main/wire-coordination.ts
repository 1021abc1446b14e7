/** Plugs the coordination capability into the daemon. */
import type { Capability, WiringContext } from './wiring.js';

export function wireCoordination(_ctx: WiringContext): Capability {
  return {};
}
