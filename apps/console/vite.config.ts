import { defineConfig } from 'vite';

/** The operator console, served by the installation under /app (see apps/server http/routes/console.ts). */
export default defineConfig({
  base: '/app/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    // No inline script: the console's Content-Security-Policy allows its own files only.
    modulePreload: { polyfill: false },
  },
});
