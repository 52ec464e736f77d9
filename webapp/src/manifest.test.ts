import {readFileSync} from 'node:fs';
import {join} from 'node:path';

import {manifest} from 'src/manifest';

describe('manifest', () => {
    it('carries the id and version of plugin.json', () => {
        const pluginJson = JSON.parse(readFileSync(join(process.cwd(), '..', 'plugin.json'), 'utf8')) as {id: string; version: string};
        expect(manifest.id).toBe(pluginJson.id);
        expect(manifest.version).toBe(pluginJson.version);
        expect(manifest.id).not.toBe('');
    });
});
