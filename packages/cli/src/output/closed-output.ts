/**
 * A reader that went away (`oj events | head -1`, a pager quit early) ends
 * the command quietly with status 0, as gh, kubectl and journalctl do,
 * instead of an unhandled EPIPE with a stack trace. Any other write error is
 * still an error.
 */
export function endQuietlyWhenOutputCloses(): void {
  for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (err: NodeJS.ErrnoException) => {
      if (err.code === 'EPIPE' || err.code === 'ERR_STREAM_DESTROYED') process.exit(0);
      throw err;
    });
  }
}
