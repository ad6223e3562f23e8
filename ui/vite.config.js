// Vite builds the UI into build/ui (beside build/switchyard, which serves it at /ui/);
// SWITCHYARD_UI_OUT overrides the folder. No CDN: every dependency is bundled from node_modules.
import { defineConfig } from 'vite';
import react from '@vitejs/plugin-react';
import { fileURLToPath } from 'node:url';

const out = process.env.SWITCHYARD_UI_OUT || fileURLToPath(new URL('../build/ui', import.meta.url));

export default defineConfig({
  base: '/ui/',
  plugins: [react()],
  build: { outDir: out, emptyOutDir: true, chunkSizeWarningLimit: 2000, sourcemap: false },
});
