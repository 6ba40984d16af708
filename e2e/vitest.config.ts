import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

export default defineConfig({
  resolve: {
    alias: { '@plauder/protocol': fileURLToPath(new URL('../packages/protocol/src/index.ts', import.meta.url)) },
  },
  test: {
    include: ['src/**/*.e2e.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // A poll waits as long as a Playwright wait may: one second is too short for a loaded machine.
    expect: { poll: { timeout: 15_000 } },
    // One browser and one server at a time on two cores.
    maxWorkers: 1,
  },
});
