/**
 * Calls back when anything in a directory may have changed (a file in it
 * created or written): inotify through fs.watch, which also reports writes
 * to the files in a watched directory. A slow poll stands in for the events
 * when the watch cannot be set up (the inotify watch limit) and backs it up
 * otherwise, so a missed event costs a delay, never a hang.
 */
import { mkdirSync, watch, type FSWatcher } from 'node:fs';

const POLL_MS = 250;
const BACKUP_MS = 2000;

export interface DirWatch {
  close(): void;
}

export function watchDir(dir: string, changed: () => void): DirWatch {
  let watcher: FSWatcher | null = null;
  try {
    mkdirSync(dir, { recursive: true });
    watcher = watch(dir, { persistent: false }, () => changed());
    watcher.on('error', () => {
      watcher?.close();
      watcher = null;
    });
  } catch {
    watcher = null;
  }
  const timer = setInterval(() => changed(), watcher ? BACKUP_MS : POLL_MS);
  timer.unref();
  return {
    close() {
      clearInterval(timer);
      watcher?.close();
    },
  };
}
