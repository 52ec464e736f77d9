/**
 * `make demo`'s page: serves the real-server host page (`live_server.ts`) against the local
 * Mattermost server until interrupted. Run with `npm run demo` (vite-node); `scripts/demo.py` starts
 * the server and installs the plugin first and passes the settings below.
 *
 * Environment: `CE_DEMO_SITE_URL` (the Mattermost server), `CE_DEMO_PORT` (this page's port),
 * `CE_DEMO_PASSWORD` (the provisioned accounts' password), `CE_DEMO_USER` (who the page logs in as
 * without `?as=`), `CE_DEMO_TEAM`, `CE_DEMO_COMMUNITY` and `CE_DEMO_ESCALATIONS` (channel names),
 * `CE_DEMO_HOST` (a host name of `hosts.ts`; default: the newest).
 */
import {HOSTS} from './hosts';
import {startLiveHost} from './live_server';

function setting(name: string): string {
    const value = process.env[name];
    if (!value) {
        throw new Error(`${name} is not set: start the demo with "make demo"`);
    }
    return value;
}

const hostName = process.env.CE_DEMO_HOST ?? HOSTS[HOSTS.length - 1].name;
const host = HOSTS.find((h) => h.name === hostName);
if (!host) {
    throw new Error(`CE_DEMO_HOST=${hostName}: not one of ${HOSTS.map((h) => h.name).join(', ')}`);
}
const live = await startLiveHost({
    mattermostUrl: setting('CE_DEMO_SITE_URL'),
    host,
    password: setting('CE_DEMO_PASSWORD'),
    defaultUser: setting('CE_DEMO_USER'),
    team: setting('CE_DEMO_TEAM'),
    channels: {community: setting('CE_DEMO_COMMUNITY'), escalations: setting('CE_DEMO_ESCALATIONS')},
    port: Number(setting('CE_DEMO_PORT')),
});
console.log(`Test host page (${host.servers}, React ${host.react}): ${live.url}/`);
const stop = () => {
    void live.close().then(() => process.exit(0));
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
