/**
 * The launchd LaunchAgent property list for ojd, rendered as text (no I/O).
 * Every value is XML-escaped; characters XML 1.0 cannot carry are refused.
 */
import { join } from 'node:path';
import { ServiceRenderError } from './render-error.js';

export const LAUNCHD_LABEL = 'dev.oj.ojd';

export interface LaunchdPlistOptions {
  /** Absolute path of node. */
  nodePath: string;
  /** Absolute path of bin/ojd.js. */
  ojdPath: string;
  stateDir: string;
  socketPath: string;
  /** PATH for the daemon (launchd's default is /usr/bin:/bin:/usr/sbin:/sbin); omitted when undefined. */
  pathEnv?: string | undefined;
}

export function renderLaunchdPlist(opts: LaunchdPlistOptions): string {
  const env: Array<[string, string]> = [
    ['OJ_STATE_DIR', opts.stateDir],
    ['OJ_SOCKET', opts.socketPath],
  ];
  if (opts.pathEnv !== undefined) env.push(['PATH', opts.pathEnv]);
  // --quiet: the daemon's log already goes to ojd.log; without it ojd.out would
  // grow with a second copy of every line (launchd does not rotate it).
  const args = [opts.nodePath, opts.ojdPath, '--foreground', '--quiet'];
  const out = join(opts.stateDir, 'ojd.out');
  return [
    '<?xml version="1.0" encoding="UTF-8"?>',
    '<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">',
    '<plist version="1.0">',
    '<dict>',
    '  <key>Label</key>',
    `  <string>${LAUNCHD_LABEL}</string>`,
    '  <key>ProgramArguments</key>',
    '  <array>',
    ...args.map((a) => `    <string>${xmlEscape(a)}</string>`),
    '  </array>',
    '  <key>EnvironmentVariables</key>',
    '  <dict>',
    ...env.map(([name, value]) => plistEnvironmentEntry(name, value)),
    '  </dict>',
    '  <key>KeepAlive</key>',
    '  <true/>',
    '  <key>RunAtLoad</key>',
    '  <true/>',
    '  <!-- agent session hosts (own process groups) outlive the daemon -->',
    '  <key>AbandonProcessGroup</key>',
    '  <true/>',
    '  <key>StandardOutPath</key>',
    `  <string>${xmlEscape(out)}</string>`,
    '  <key>StandardErrorPath</key>',
    `  <string>${xmlEscape(out)}</string>`,
    '</dict>',
    '</plist>',
    '',
  ].join('\n');
}

/** The exact EnvironmentVariables entry renderLaunchdPlist writes (also used to recognise an installed plist). */
export function plistEnvironmentEntry(name: string, value: string): string {
  return `    <key>${xmlEscape(name)}</key>\n    <string>${xmlEscape(value)}</string>`;
}

export function xmlEscape(value: string): string {
  let out = '';
  for (const ch of value) {
    const c = ch.codePointAt(0) ?? 0;
    if (ch === '&') out += '&amp;';
    else if (ch === '<') out += '&lt;';
    else if (ch === '>') out += '&gt;';
    else if (ch === '"') out += '&quot;';
    else if (ch === "'") out += '&apos;';
    else if (ch === '\r') out += '&#13;';
    else if (ch === '\n' || ch === '\t') out += ch;
    else if (c < 0x20 || c === 0xfffe || c === 0xffff || (c >= 0xd800 && c <= 0xdfff)) {
      throw new ServiceRenderError(`a character XML cannot carry is in ${JSON.stringify(value)}`);
    } else out += ch;
  }
  return out;
}
