import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

const protocolSource = fileURLToPath(new URL('./packages/protocol/src/', import.meta.url));

export default defineConfig({
  resolve: {
    // Tests run the TypeScript sources of the workspace packages, so no build is needed first.
    alias: [
      // The client helpers the widget and the console import on their own (no zod in their bundles).
      { find: /^@plauder\/protocol\/(ids|backoff)$/, replacement: `${protocolSource}$1.ts` },
      { find: /^@plauder\/protocol$/, replacement: `${protocolSource}index.ts` },
    ],
  },
  test: {
    include: ['apps/*/src/**/*.test.ts', 'packages/*/src/**/*.test.ts', 'bench/**/*.test.ts'],
    testTimeout: 30_000,
    hookTimeout: 60_000,
    // Two cores: two workers keep argon2 and database tests from starving each other.
    maxWorkers: 2,
  },
});
