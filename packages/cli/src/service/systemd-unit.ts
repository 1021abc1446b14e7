/**
 * The systemd user unit for ojd, rendered as text (no I/O).
 *
 * Quoting follows systemd.service(5) and systemd.syntax(7): every value is
 * double-quoted with C-style escapes (`\\`, `\"`, `\n`, `\t`); `%` is a
 * specifier prefix everywhere, so it is written `%%`; in ExecStart's
 * arguments `$` starts a variable, so it is written `$$` (the executable path
 * itself and Environment= values are not expanded: their `$` stays as is).
 * Other control characters cannot be expressed and are refused, as is an
 * executable path with quotes or backslashes (systemd rejects those outright).
 */
import { ServiceRenderError } from './render-error.js';

export const SYSTEMD_UNIT_NAME = 'ojd.service';

export interface SystemdUnitOptions {
  /** Absolute path of node. */
  nodePath: string;
  /** Absolute path of bin/ojd.js. */
  ojdPath: string;
  stateDir: string;
  socketPath: string;
  /** PATH for the daemon (agents and shell phases find their commands on it); omitted when undefined. */
  pathEnv?: string | undefined;
}

export function renderSystemdUnit(opts: SystemdUnitOptions): string {
  if (!opts.nodePath.startsWith('/')) throw new ServiceRenderError(`node path must be absolute: ${opts.nodePath}`);
  // systemd refuses an executable path with quotes, backslashes or control characters, however escaped.
  if (/["'\\\x00-\x1f\x7f]/.test(opts.nodePath)) {
    throw new ServiceRenderError(`systemd cannot run an executable whose path holds quotes, backslashes or control characters: ${JSON.stringify(opts.nodePath)}`);
  }
  const exec = [systemdQuote(opts.nodePath), quoteExecArg(opts.ojdPath), '--foreground'].join(' ');
  const env: Array<[string, string]> = [
    ['OJ_STATE_DIR', opts.stateDir],
    ['OJ_SOCKET', opts.socketPath],
  ];
  if (opts.pathEnv !== undefined) env.push(['PATH', opts.pathEnv]);
  return [
    '# Written by `oj daemon install`; `oj daemon install --print` shows what it would write now.',
    '[Unit]',
    'Description=oj daemon (ojd): runs unattended work from runbooks',
    '',
    '[Service]',
    'Type=simple',
    `ExecStart=${exec}`,
    ...env.map(([name, value]) => systemdEnvironmentLine(name, value)),
    'Restart=on-failure',
    '# Only ojd itself is signalled on stop/restart: agent session hosts it started outlive it.',
    'KillMode=process',
    '',
    '[Install]',
    'WantedBy=default.target',
    '',
  ].join('\n');
}

/** `Environment="NAME=value"`, the exact line renderSystemdUnit writes (also used to recognise an installed unit). */
export function systemdEnvironmentLine(name: string, value: string): string {
  return `Environment=${systemdQuote(`${name}=${value}`)}`;
}

/** An ExecStart argument after the executable: quoted, and `$` doubled (no variable expansion). */
function quoteExecArg(arg: string): string {
  return systemdQuote(arg).replace(/\$/g, '$$$$');
}

/** A double-quoted systemd word with C escapes and `%%` for `%`. */
export function systemdQuote(value: string): string {
  let out = '"';
  for (const ch of value) {
    if (ch === '\\') out += '\\\\';
    else if (ch === '"') out += '\\"';
    else if (ch === '%') out += '%%';
    else if (ch === '\n') out += '\\n';
    else if (ch === '\t') out += '\\t';
    else if (isControl(ch)) throw new ServiceRenderError(`a control character cannot go in a systemd unit: ${JSON.stringify(value)}`);
    else out += ch;
  }
  return out + '"';
}

function isControl(ch: string): boolean {
  const c = ch.codePointAt(0) ?? 0;
  return c < 0x20 || c === 0x7f;
}
