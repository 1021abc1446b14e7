/** execa (~100 module files), loaded the first time git or a desktop notification runs: an idle daemon never needs it. */
import { lazyImport } from '../lazy-module.js';

export const loadExeca = lazyImport('execa (which runs git and notify-send)', () => import('execa'));
