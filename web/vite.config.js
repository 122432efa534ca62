import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';

// The build is committed (dist/) and embedded in the node binary; CI
// rebuilds it from package-lock.json and compares, so keep it
// deterministic: no timestamps, no source maps with absolute paths.
export default defineConfig({
  plugins: [react()],
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 1024,
  },
});
