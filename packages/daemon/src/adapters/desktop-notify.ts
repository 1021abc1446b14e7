/**
 * Desktop notifications for escalations: notify-send on Linux, osascript on
 * macOS, silently absent elsewhere. Text goes as arguments, never through a
 * shell. Returns what happened, for the log.
 */
import { loadExeca } from './lazy-execa.js';

export type NotifyResult = 'sent' | 'unavailable' | 'failed';

export async function notifyDesktop(title: string, body: string): Promise<NotifyResult> {
  if (process.platform !== 'darwin' && process.platform !== 'linux') return 'unavailable';
  // Outside the try: a failure to load execa is an error of oj's, not an absent notifier.
  const { execa } = await loadExeca();
  try {
    if (process.platform === 'darwin') {
      const script = `display notification ${appleString(body)} with title ${appleString(title)}`;
      const r = await execa('osascript', ['-e', script], { reject: false, timeout: 5000 });
      return r.exitCode === 0 ? 'sent' : 'failed';
    }
    if (process.platform === 'linux') {
      const r = await execa('notify-send', ['--app-name=oj', title, body], { reject: false, timeout: 5000 });
      if ((r as { code?: string }).code === 'ENOENT' || r.exitCode === 127 || r.failed && /ENOENT/.test(String(r.message))) return 'unavailable';
      return r.exitCode === 0 ? 'sent' : 'failed';
    }
    return 'unavailable';
  } catch {
    return 'unavailable';
  }
}

function appleString(s: string): string {
  return `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
}
