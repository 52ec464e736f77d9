/**
 * The real-browser test: Debian's Chromium driven by playwright-core against the built bundle.
 * `npm run test:browser` builds dist/main.js first.
 */
import {defineConfig} from 'vitest/config';

export default defineConfig({
    test: {
        environment: 'node',
        include: ['test/browser/**/*.browser.test.ts'],
        testTimeout: 30_000,
        hookTimeout: 60_000,
        fileParallelism: false,
        sequence: {concurrent: false},
    },
});
