/**
 * The queues people would pick instead of oj's, measured on this machine in
 * the same run: graphile-worker on PostgreSQL 15 (durable: fsync and
 * synchronous_commit on) and BullMQ on Redis (append-only file,
 * `appendfsync always`, then `everysec`), each draining no-op jobs at
 * concurrency 8. Their packages are installed into the run's temp dir
 * (`npm install --prefix`), never into oj's dependencies; their servers are
 * the image's PostgreSQL and Debian's `redis-server`, started privately. A
 * missing server or a failed install skips the rows with the reason.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { pgUnavailable, redisUnavailable, startPostgres, startRedis } from './lib/servers.mjs';

const PACKAGES = ['graphile-worker', 'bullmq', 'ioredis'];
const CONCURRENCY = 8;

/** Rows for the competitors (`floor`: oj's comparable rate and its name, for the ratio; `ojBatch`: oj's batched rate, a second ratio in the note). */
export async function competitorRows(ctx, { jobs, oj, ojBatch }) {
  const prefix = join(ctx.root, 'competitors');
  const installed = await install(prefix);
  const skip = (name, why) => {
    process.stderr.write(`bench: ${name} skipped: ${why}\n`);
    ctx.row({ section: 'Queue', name, value: NaN, unit: 'items/s', note: `skipped: ${why}` });
  };
  const row = (name, r, note) =>
    ctx.row({
      section: 'Queue',
      name,
      value: r.drainPerSec,
      unit: 'items/s',
      floorName: oj.name,
      floor: oj.rate,
      ratio: r.drainPerSec / oj.rate,
      note: `${note}; ${r.added.toLocaleString('en')} jobs, added at ${Math.round(r.addPerSec).toLocaleString('en')}/s (ratio: theirs ÷ oj's)${
        ojBatch ? `; ${(r.drainPerSec / ojBatch.rate).toFixed(2)}× ${ojBatch.name}` : ''
      }`,
    });

  const gwName = `graphile-worker drain, concurrency ${CONCURRENCY}, PostgreSQL 15`;
  const pgWhy = installed.error ?? pgUnavailable();
  if (pgWhy) skip(gwName, pgWhy);
  else {
    const pg = await startPostgres();
    try {
      const r = await runDriver('graphile-drain.mjs', [prefix, pg.url, String(jobs), String(CONCURRENCY)]);
      row(gwName, r, `graphile-worker ${r.version}, durable`);
    } catch (err) {
      skip(gwName, String(err.message ?? err).split('\n')[0]);
    } finally {
      pg.stop();
    }
  }

  for (const fsync of ['always', 'everysec']) {
    const name = `BullMQ drain, concurrency ${CONCURRENCY}, Redis appendfsync ${fsync}`;
    const why = installed.error ?? redisUnavailable();
    if (why) {
      skip(name, why);
      continue;
    }
    const redis = await startRedis(join(ctx.root, `redis-${fsync}`), fsync);
    try {
      const r = await runDriver('bullmq-drain.mjs', [prefix, redis.socket, String(jobs), String(CONCURRENCY)]);
      row(name, r, `BullMQ ${r.version}, ${fsync === 'always' ? 'durable' : 'up to 1 s of acknowledged jobs lost on power loss'}`);
    } catch (err) {
      skip(name, String(err.message ?? err).split('\n')[0]);
    } finally {
      await redis.stop();
    }
  }
}

/** npm install of the competitors into `prefix`; { error } when it fails (no registry, no network). */
function install(prefix) {
  process.stderr.write(`bench: installing ${PACKAGES.join(', ')} into ${prefix}...\n`);
  return new Promise((resolve) => {
    execFile('npm', ['install', '--prefix', prefix, '--no-audit', '--no-fund', '--loglevel=error', ...PACKAGES], { timeout: 300_000 }, (err, _out, stderr) =>
      resolve(err ? { error: `npm install of ${PACKAGES.join(', ')} failed: ${(stderr || err.message).trim().split('\n')[0]}` } : {}),
    );
  });
}

function runDriver(script, args) {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [join(import.meta.dirname, 'competitors', script), ...args], { timeout: 600_000, maxBuffer: 16 * 1024 * 1024 }, (err, out, stderr) => {
      if (err) return reject(new Error(`${script} failed: ${(stderr || err.message).trim().split('\n').slice(-1)[0]}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop()));
      } catch {
        reject(new Error(`${script} printed no result`));
      }
    });
  });
}
