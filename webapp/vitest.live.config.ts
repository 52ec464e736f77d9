/**
 * The real-browser flow against a real Mattermost server (`test/browser/flow.live.test.ts`). Run by
 * the real-server suite (`tests/e2e/test_e2e_browser_flow.py`), which passes the scenario in `CE_LIVE`.
 */
import {fileURLToPath} from 'node:url';

import {defineConfig} from 'vitest/config';

const test = fileURLToPath(new URL('./test/', import.meta.url));

export default defineConfig({
    resolve: {alias: [{find: /^test\//, replacement: test}]},
    test: {
        environment: 'node',
        include: ['test/browser/**/*.live.test.ts'],
        testTimeout: 60_000,
        hookTimeout: 60_000,
        fileParallelism: false,
        sequence: {concurrent: false},
    },
});
