#!/usr/bin/env node
// The oj executable: the compiled client lives in ../dist (npm run build).
import { main } from '../dist/main.js';

main().catch((err) => {
  process.stderr.write(`oj: ${err && err.stack ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
