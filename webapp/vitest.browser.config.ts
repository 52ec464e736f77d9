/**
 * The real-browser test: Debian's Chromium driven by playwright-core against the built bundle.
 * Run after `npm run build` (the `test` script does both).
 */
import {defineConfig} from 'vitest/config';

export default defineConfig({
    test: {
        environment: 'node',
        include: ['test/browser/**/*.browser.test.ts'],
        testTimeout: 60_000,
        hookTimeout: 60_000,
        fileParallelism: false,
    },
});
