/** `-n, --limit N` as list commands take it: a whole number; for most lists 0 means all. */

/** Whether n is a valid --limit of a list where 0 shows all. */
export const isLimit = (n: unknown): n is number => typeof n === 'number' && Number.isSafeInteger(n) && n >= 0;

/** A yargs check for --limit on a list of `what`: true, or the message printed with the usage. */
export function checkLimit(what: string, o: { zeroMeansAll: boolean } = { zeroMeansAll: true }): (argv: { limit?: unknown }) => true | string {
  const least = o.zeroMeansAll ? 0 : 1;
  return (argv) =>
    argv.limit === undefined ||
    (isLimit(argv.limit) && argv.limit >= least) ||
    `--limit takes a whole number of ${what}, ${least} or more${o.zeroMeansAll ? ' (0 shows all)' : ''}`;
}
