/** oj daemon install|uninstall: run ojd under systemd (Linux) or launchd (macOS). */
import type { Argv } from 'yargs';
import { locally } from '../commands/run-command.js';
import { installService, uninstallService } from './service-install.js';

export function serviceCommands(y: Argv): Argv {
  return y
    .command(
      'install',
      'Install ojd as a user service (systemd unit on Linux, LaunchAgent on macOS)',
      (a) =>
        a
          .option('print', { type: 'boolean', describe: 'print the unit/plist and where it would go; write nothing' })
          .option('force', { type: 'boolean', describe: 'replace an existing unit/plist that differs' }),
      (argv) => locally(() => installService({ print: Boolean(argv.print), force: Boolean(argv.force) })),
    )
    .command(
      'uninstall',
      'Disable and stop the user service, then remove its unit/plist (agent sessions keep running)',
      (a) => a,
      () => locally(() => uninstallService()),
    );
}
