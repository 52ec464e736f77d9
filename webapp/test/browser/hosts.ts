/**
 * The host pages the browser test runs against: one per end of the supported server range, each
 * built with the libraries that server's webapp hands to plugins on `window`, pinned in package.json
 * as npm aliases (`react17` = `npm:react@17.0.2`, ...) and swapped in with esbuild's `alias`.
 *
 * Versions as mattermost/mattermost pins them:
 * - oldest: `webapp/channels/package.json` of webapp 9.3.0 (react, react-dom 17.0.2, react-redux 7.2.4,
 *   redux 4.2.0) with `react-intl` 6.5.5 from the workspace root `webapp/package.json` (channels asks
 *   for `*`); 8.0.0 pins the same React and Redux versions, and mattermost-redux 10.6.0, published
 *   from the same tree, still depends on redux 4.
 * - newest: `webapp/channels/package.json` of webapp 11.3.0 (react, react-dom 18.2.0, react-redux 9.2.0,
 *   redux 5.0.1; Mattermost's Agents plugin raised its minimum server to 11.1.0 when it moved to
 *   them), and `react-intl` 7 (the shared package of 11.x requires `>=7`; the exact root pin was not
 *   found), its latest 7.1 release.
 *
 * Checked again for 9.9.0 and 11.4.0 (the oldest supported server and the newest run): the public
 * code index reachable here holds `webapp/channels/package.json` of 11.3.0, the workspace lock of
 * 9.3.0 and `webapp/channels/package-lock.json` of 8.0.0, but no file of the 9.9.0 or 11.4.0 tags, so
 * those two releases' exact pins are not confirmed; npm's `mattermost-redux` 11.4.0 (published from
 * the 11.4 tree) requires `redux` ^5.0.0, which fits 5.0.1. The pins above stay as they were.
 */
export interface HostSpec {
    /** Short name, used in test titles and artifact file names. */
    name: string;
    /** The Mattermost server versions whose webapp ships these libraries. */
    servers: string;
    /** Module name -> the aliased package in node_modules. */
    alias: Record<string, string>;
    /** What `React.version` reports on this host. */
    react: string;
}

export const HOSTS: HostSpec[] = [
    {
        name: 'mattermost-9-10',
        servers: 'Mattermost 9.3 to 10.x',
        react: '17.0.2',
        alias: {react: 'react17', 'react-dom': 'react-dom17', redux: 'redux4', 'react-redux': 'react-redux7', 'react-intl': 'react-intl6'},
    },
    {
        name: 'mattermost-11',
        servers: 'Mattermost 11.1 and later',
        react: '18.2.0',
        alias: {react: 'react18', 'react-dom': 'react-dom18', redux: 'redux5', 'react-redux': 'react-redux9', 'react-intl': 'react-intl7'},
    },
];
