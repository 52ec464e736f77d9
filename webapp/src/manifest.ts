/**
 * The plugin's identity, taken from the repository's `plugin.json` at build time.
 *
 * The bundler inlines only the two fields imported here, so the id is never typed by hand anywhere
 * in the webapp: renaming the plugin in `plugin.json` renames the reducer key, the URL prefix and
 * the WebSocket event names on the next build.
 */
// plugin.json lives at the repository root, outside src/.
// eslint-disable-next-line no-restricted-imports
import {id, version} from '../../plugin.json';

export const manifest = {id, version} as const;

export default manifest;
