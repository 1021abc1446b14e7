/**
 * The storage floor: how many write transactions per second SQLite commits
 * with ojd's settings (WAL, synchronous=FULL), each inserting one small row,
 * in a process of its own. Prints {"txPerSec": n} on stdout.
 *   node sqlite-tx.mjs <db file> <milliseconds>
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

// The driver ojd uses on this Node.js (packages/daemon/src/storage/sqlite-driver.ts).
const { Sqlite: Database } = await import(pathToFileURL(join(import.meta.dirname, '..', '..', '..', 'packages', 'daemon', 'dist', 'storage', 'sqlite-driver.js')).href);

const [file, msArg] = process.argv.slice(2);
const db = new Database(file);
db.pragma('busy_timeout = 5000');
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.exec('CREATE TABLE IF NOT EXISTS t (id INTEGER PRIMARY KEY, name TEXT, data TEXT, time INTEGER)');
const insert = db.prepare('INSERT INTO t (name, data, time) VALUES (?, ?, ?)');
const tx = db.transaction((i) => insert.run('bench:tx', JSON.stringify({ i, pad: 'x'.repeat(100) }), Date.now()));
const budget = Number(msArg ?? 1000);
const t0 = performance.now();
let n = 0;
while (performance.now() - t0 < budget) tx.immediate(n++);
const secs = (performance.now() - t0) / 1000;
db.close();
process.stdout.write(JSON.stringify({ txPerSec: n / secs }) + '\n');
