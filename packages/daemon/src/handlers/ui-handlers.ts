/** ui.* methods: the dashboard server registers itself; `oj ui` asks where it is, or stops it. */
import { UiMethods } from '@oj/protocol';
import type { RpcRouter } from '../rpc/rpc-router.js';
import type { UiRegistry } from '../ui/ui-registry.js';

export function registerUiHandlers(router: RpcRouter, ui: UiRegistry): void {
  router.handle(UiMethods.Register, (p, ctx) => {
    const info = ui.register(ctx.id, p, (reason) => ctx.notify(UiMethods.Shutdown, { reason }));
    ctx.onClose(() => ui.closed(ctx.id));
    return { ui: info };
  });

  router.handle(UiMethods.Status, () => ({ ui: ui.info(), link: ui.link() }));

  router.handle(UiMethods.Stop, () => ({ ui: ui.stop('oj ui --stop') }));
}
