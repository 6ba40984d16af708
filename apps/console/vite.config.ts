import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const protocolSource = fileURLToPath(new URL('../../packages/protocol/src/', import.meta.url));

/** The operator console, served by the installation under /app (see apps/server http/routes/console.ts). */
export default defineConfig({
  base: '/app/',
  resolve: {
    // Type imports vanish; the runtime imports of the protocol are its dependency-free client helpers.
    alias: [{ find: /^@plauder\/protocol\/(ids|backoff)$/, replacement: `${protocolSource}$1.ts` }],
  },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // No inline script: the console's Content-Security-Policy allows its own files only.
    modulePreload: { polyfill: false },
  },
});
