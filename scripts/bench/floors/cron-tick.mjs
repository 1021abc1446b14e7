/**
 * The idle floor with a cron: a bare Node process that once a second does
 * the least a durable shell cron tick can: commit the tick (WAL,
 * synchronous=FULL), start `bash -c true` in its own process group with its
 * output appended to a log file, and commit the outcome when it exits.
 *   node cron-tick.mjs <dir>
 */
import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

// The driver ojd uses on this Node.js (packages/daemon/src/storage/sqlite-driver.ts).
const { Sqlite: Database } = await import(pathToFileURL(join(import.meta.dirname, '..', '..', '..', 'packages', 'daemon', 'dist', 'storage', 'sqlite-driver.js')).href);
const dir = process.argv[2];
const db = new Database(join(dir, 'floor.db'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.exec('CREATE TABLE IF NOT EXISTS ticks (id INTEGER PRIMARY KEY, name TEXT, time INTEGER)');
const insert = db.prepare('INSERT INTO ticks (name, time) VALUES (?, ?)');
const record = db.transaction((name) => insert.run(name, Date.now()));

setInterval(() => {
  record.immediate('tick');
  const log = openSync(join(dir, 'floor.log'), 'a');
  const child = spawn('bash', ['-c', 'true'], { detached: true, stdio: ['ignore', log, log] });
  closeSync(log);
  child.on('close', () => record.immediate('done'));
}, 1000);
process.on('SIGTERM', () => process.exit(0));
