/** Running ojd as a user service: `oj daemon install|uninstall` and the managed-service hint. */
export { serviceCommands } from './service-commands.js';
export { managedServiceHint, serviceState, type ServiceState } from './managed-service.js';
export type { ServiceAction } from './service-target.js';
