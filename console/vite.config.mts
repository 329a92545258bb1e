import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

/**
 * The admin console's build: dist/console beside the compiled library, relative URLs (it is
 * mounted at any path), one JS and one CSS file, nothing inline (the server's CSP is
 * `default-src 'self'`), no source maps in the package.
 */
export default defineConfig({
  root: here,
  base: './',
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: fileURLToPath(new URL('../dist/console', import.meta.url)),
    emptyOutDir: true,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
    chunkSizeWarningLimit: 1500,
    sourcemap: false,
    minify: process.env.CONSOLE_DEBUG ? false : 'oxc',
    rolldownOptions: {
      // react-router marks its modules "use client" (for server components); meaningless in a bundle.
      onwarn(warning, warn) {
        if (warning.code === 'MODULE_LEVEL_DIRECTIVE') return;
        warn(warning);
      },
    },
  },
  resolve: {
    // @rjsf/core's test helper imports the ajv validator, which compiles with eval (refused by
    // the CSP); the console uses forms/validator.ts instead, so the import points at a stub.
    alias: { '@rjsf/validator-ajv8': fileURLToPath(new URL('./src/forms/no-ajv.ts', import.meta.url)) },
  },
  logLevel: 'warn',
});
