#!/usr/bin/env node
/**
 * Builds dist/main.js: one minified IIFE with the host-provided libraries mapped to the globals the
 * Mattermost webapp exposes on `window` (it never bundles its own React). Prints the bundle size.
 *
 * Why esbuild: the bundle is a single entry with no CSS pipeline, so esbuild (already a dependency of
 * the test runner) does in ~100 ms what webpack + babel would need ~10 packages and seconds for.
 * It does not type-check: `npm run check` runs `tsc --noEmit` for that.
 */
import {build} from 'esbuild';
import {statSync} from 'node:fs';
import {gzipSync} from 'node:zlib';
import {readFileSync} from 'node:fs';
import {dirname, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const outfile = resolve(root, 'dist/main.js');

/** Module name -> the global the host webapp provides (mattermost webapp `plugins/export.ts`). */
export const HOST_GLOBALS = {
    react: 'React',
    'react-dom': 'ReactDOM',
    redux: 'Redux',
    'react-redux': 'ReactRedux',
    'prop-types': 'PropTypes',
    'react-intl': 'ReactIntl',
};

const hostGlobals = {
    name: 'host-globals',
    setup(b) {
        const filter = new RegExp(`^(${Object.keys(HOST_GLOBALS).join('|')})$`);
        b.onResolve({filter}, (args) => ({path: args.path, namespace: 'host-global'}));
        b.onLoad({filter: /.*/, namespace: 'host-global'}, (args) => ({
            contents: `module.exports = window[${JSON.stringify(HOST_GLOBALS[args.path])}];`,
            loader: 'js',
        }));
    },
};

const started = Date.now();
const result = await build({
    absWorkingDir: root,
    entryPoints: ['src/index.tsx'],
    outfile,
    bundle: true,
    format: 'iife',
    platform: 'browser',
    target: ['es2020', 'chrome100', 'firefox100', 'safari15'],
    minify: process.env.MM_DEBUG ? false : true,
    sourcemap: process.env.MM_DEBUG ? 'inline' : false,
    jsx: 'transform',
    define: {'process.env.NODE_ENV': '"production"'},
    legalComments: 'none',
    metafile: true,
    logLevel: 'warning',
    plugins: [hostGlobals],
});

const bytes = statSync(outfile).size;
const gzip = gzipSync(readFileSync(outfile)).length;
const inputs = Object.entries(result.metafile.outputs[Object.keys(result.metafile.outputs)[0]].inputs)
    .reduce((acc, [path, info]) => {
        const key = path.startsWith('node_modules/') ? path.split('/').slice(0, path.includes('/@') ? 3 : 2).join('/') : 'src';
        acc[key] = (acc[key] ?? 0) + info.bytesInOutput;
        return acc;
    }, {});
console.log(`dist/main.js: ${(bytes / 1024).toFixed(1)} KiB (${(gzip / 1024).toFixed(1)} KiB gzip) in ${Date.now() - started} ms`);
for (const [name, size] of Object.entries(inputs).sort((a, b) => b[1] - a[1])) {
    console.log(`  ${name.padEnd(40)} ${(size / 1024).toFixed(1)} KiB`);
}
