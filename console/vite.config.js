// Builds the console into dist/, served by the gateway at /console (see
// gateway/admin/console_assets.h), so asset URLs start with /console/ (the page
// answers at /console and /console/ alike). No inline script or style is
// emitted, so the gateway's Content-Security-Policy needs none.
import { defineConfig } from 'vite';

export default defineConfig({
  base: '/console/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    sourcemap: false,
  },
});
