#!/usr/bin/env node
// The plauder command: runs the compiled CLI (npm run build makes it).
try {
  const { main } = await import('../dist/cli/main.js');
  await main(process.argv);
} catch (error) {
  if (error && error.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/cli/main.js')) {
    process.stderr.write('plauder: not built yet; run "npm run build" in the repository first\n');
    process.exit(1);
  }
  throw error;
}
