/** Colour only on a TTY, and never when NO_COLOR is set. */

const enabled = (stream: NodeJS.WriteStream) =>
  Boolean(stream.isTTY) && !('NO_COLOR' in process.env && process.env.NO_COLOR !== '') && process.env.TERM !== 'dumb';

function wrap(code: string) {
  return (s: string, stream: NodeJS.WriteStream = process.stdout) => (enabled(stream) ? `\x1b[${code}m${s}\x1b[0m` : s);
}

export const style = {
  bold: wrap('1'),
  dim: wrap('2'),
  red: wrap('31'),
  green: wrap('32'),
  yellow: wrap('33'),
  cyan: wrap('36'),
};
