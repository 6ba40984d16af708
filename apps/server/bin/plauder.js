#!/usr/bin/env node
// The plauder command: runs the compiled CLI (npm run build makes it).
try {
  await import('../dist/cli/run.js');
} catch (error) {
  if (error && error.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/cli/run.js')) {
    process.stderr.write('plauder: not built yet; run "npm run build" in the repository first\n');
    process.exit(1);
  }
  throw error;
}
