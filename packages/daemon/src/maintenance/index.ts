/**
 * What `oj daemon check|backup|restore` use when no daemon runs: the same
 * code the daemon runs, on the database file directly.
 */
export { checkDatabaseFile, backupDatabaseFile, restoreDatabaseFile, type RestoreResult } from './backup.js';
export { loadDaemonConfig, daemonConfigPath, DaemonConfigError, RETENTION_DEFAULTS } from './daemon-config.js';
