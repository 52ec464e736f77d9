/**
 * Unit and component tests (jsdom). The browser test has its own config: vitest.browser.config.ts.
 */
import {fileURLToPath} from 'node:url';

import {defineConfig} from 'vitest/config';

const src = fileURLToPath(new URL('./src/', import.meta.url));
const test = fileURLToPath(new URL('./test/', import.meta.url));

export default defineConfig({
    esbuild: {jsx: 'transform'},
    resolve: {
        alias: [
            {find: /^src\//, replacement: src},
            {find: /^test\//, replacement: test},
        ],
    },
    test: {
        environment: 'jsdom',
        globals: true,
        include: ['src/**/*.test.{ts,tsx}'],
        setupFiles: ['test/setup.ts'],
        restoreMocks: true,
    },
});
