// Builds the dashboard into dist/: index.html and hashed assets, served as static files by the
// JobManager's REST server (packages/runtime/src/rest). Everything is bundled: no CDN, nothing
// fetched at run time. `npm run dev -w @eddy/web-dashboard` serves it with the REST API of a
// JobManager on localhost:8081 proxied (EDDY_REST to point elsewhere).
import { defineConfig } from 'vite';

const rest = process.env.EDDY_REST ?? 'http://localhost:8081';
const restPaths = ['/overview', '/config', '/jobs', '/taskmanagers'];

export default defineConfig({
  base: './',
  oxc: { jsx: { runtime: 'automatic', importSource: 'preact' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 200,
  },
  server: { proxy: Object.fromEntries(restPaths.map((path) => [path, rest])) },
});
