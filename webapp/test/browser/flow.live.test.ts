/**
 * The whole flow in a real browser against a REAL Mattermost server, once per host of `hosts.ts`
 * (the libraries of the oldest and the newest supported server's webapp).
 *
 * Debian's Chromium opens the real-server host page (`host/live_host.tsx`, served with the API by
 * `live_server.ts`), which logs in as a responder with a real session, loads the built bundle, and
 * talks to the server's REST API and WebSocket. The test escalates a community member's message
 * (Message actions → Escalate → topic → note → Escalate), sees the bot's escalation post arrive
 * (`posted`), and presses its Claim button, chooses an owner in its Assign menu and presses
 * "Resolve: no response needed", each through `POST /api/v4/posts/{id}/actions/{action_id}`, seeing
 * the post change each time (`post_edited`) and the plugin's notice follow the escalation's state
 * (the plugin's own WebSocket event).
 *
 * Run by `tests/e2e/test_e2e_browser_flow.py` (the real-server suite, which starts and provisions the
 * server and installs the plugin), which passes the scenario in `CE_LIVE` (JSON) and checks the
 * server's records afterwards. Without `CE_LIVE`, Chromium or the bundle every test fails with the
 * reason. Screenshots: test-artifacts/live-<host>-<step>.png (docs/screenshots/flow-*.png are copies).
 */
import {existsSync, mkdirSync, mkdtempSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';
import {chromium, type BrowserContext, type Page} from 'playwright-core';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import {HOSTS, type HostSpec} from './hosts';
import {MAIN_JS, startLiveHost, type LiveHost} from './live_server';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const ARTIFACTS = join(ROOT, 'test-artifacts');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** What the e2e suite provisioned for one run: the message to escalate and who does what. */
interface Run {
    host: string;
    source_post_id: string;
    topic_title: string;
    note: string;
    /** The responder the page logs in as (not the topic's default owner). */
    user: string;
    default_owner: string;
    /** The responder chosen in the Assign menu. */
    assignee: string;
}

interface Scenario {
    site_url: string;
    password: string;
    team: string;
    channels: {community: string; escalations: string};
    runs: Run[];
}

function scenario(): Scenario {
    const raw = process.env.CE_LIVE;
    if (!raw) {
        throw new Error('CE_LIVE is not set: this test runs from the real-server suite (tests/e2e/test_e2e_browser_flow.py, make test-e2e).');
    }
    return JSON.parse(raw) as Scenario;
}

let scene: Scenario | null = null;
let sceneError: Error | null = null;
try {
    scene = scenario();
} catch (err) {
    sceneError = err instanceof Error ? err : new Error(String(err));
}

const hostsToRun: HostSpec[] = scene ? HOSTS.filter((h) => scene?.runs.some((r) => r.host === h.name)) : HOSTS;

for (const host of hostsToRun) {
    describeHost(host);
}

function describeHost(host: HostSpec): void {
    let live: LiveHost;
    let context: BrowserContext;
    let page: Page;
    let profileDir = '';
    let setupError: Error | null = sceneError;
    let escalationPostId = '';
    const pageErrors: string[] = [];
    const run = (): Run => scene!.runs.find((r) => r.host === host.name)!;

    const shot = (name: string) => page.screenshot({path: join(ARTIFACTS, `live-${host.name}-${name}.png`)});
    const escalationPost = () => page.getByTestId(`post-${escalationPostId}`);
    /** The post's first line as a reader sees it. */
    const headline = async () => (await escalationPost().locator('.message').innerText()).split('\n')[0].trim();
    const notice = () => page.getByTestId('escalation-notice');

    function step(name: string, fn: () => Promise<void>): void {
        it(name, async () => {
            if (setupError) {
                throw setupError;
            }
            await fn();
        });
    }

    async function setUp(): Promise<void> {
        const s = scene!;
        if (!existsSync(CHROMIUM)) {
            throw new Error(`No Chromium at ${CHROMIUM}. Install Debian's chromium with webapp/scripts/ensure-chromium.sh (as root), or set CHROMIUM_PATH.`);
        }
        if (!existsSync(MAIN_JS)) {
            throw new Error(`${MAIN_JS} is missing: run "make dist" (or "npm run build") first.`);
        }
        mkdirSync(ARTIFACTS, {recursive: true});
        live = await startLiveHost({
            mattermostUrl: s.site_url, host, password: s.password, defaultUser: run().user,
            team: s.team, channels: s.channels, port: 0,
        });
        profileDir = mkdtempSync(join(tmpdir(), 'escalations-live-'));
        context = await chromium.launchPersistentContext(profileDir, {
            executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: {width: 1400, height: 900},
        });
        page = context.pages()[0] ?? await context.newPage();
        page.on('pageerror', (err) => pageErrors.push(String(err)));
        page.on('console', (msg) => {
            if (msg.type() === 'error') {
                pageErrors.push(`${msg.text()} ${msg.location().url}`);
            }
        });
    }

    describe(`The whole flow on the real server, host of ${host.servers} (React ${host.react})`, () => {
        beforeAll(async () => {
            if (setupError) {
                return;
            }
            try {
                await setUp();
            } catch (err) {
                setupError = err instanceof Error ? err : new Error(String(err));
            }
        });

        afterAll(async () => {
            await context?.close();
            await live?.close();
            if (profileDir) {
                rmSync(profileDir, {recursive: true, force: true});
            }
        });

        step('logs in as a responder with a real session, loads the bundle, opens the WebSocket', async () => {
            await page.goto(`${live.url}/?as=${encodeURIComponent(run().user)}`);
            await expect.poll(() => page.getByTestId('live-status').getAttribute('data-socket'), {timeout: 20_000}).toBe('connected');
            expect(await page.getByTestId('live-status').innerText()).toContain(`signed in as @${run().user}`);
            const loaded = await page.evaluate(() => {
                const live = (window as unknown as {__live: {registered: {pluginId: string}; versions: {react: string}}}).__live;
                return {id: live.registered.pluginId, react: live.versions.react};
            });
            expect(loaded).toEqual({id: 'community-escalations', react: host.react});
            await page.getByTestId(`post-${run().source_post_id}`).waitFor();
        });

        step('escalates the community message: Message actions → Escalate → topic → note → Escalate', async () => {
            await page.getByRole('button', {name: `Message actions for ${run().source_post_id}`}).click();
            await page.getByRole('menuitem', {name: 'Escalate'}).click();
            const dialog = page.getByRole('dialog', {name: 'Escalate message'});
            await dialog.waitFor();
            await dialog.getByRole('radio', {name: new RegExp(run().topic_title.replace(/[/]/g, '\\/'))}).click();
            await expect.poll(() => page.getByTestId('topic-preview').innerText()).toContain(`@${run().default_owner}`);
            await page.getByLabel('Note for the responders (optional)').fill(run().note);
            await shot('1-escalate');
            await dialog.getByRole('button', {name: 'Escalate', exact: true}).click();
            await dialog.waitFor({state: 'detached'});
            await expect.poll(() => notice().innerText()).toContain(`Escalated under ${run().topic_title}.`);
            const href = await notice().getByRole('link', {name: 'View escalation'}).getAttribute('href');
            escalationPostId = /\/pl\/([a-z0-9]{26})$/.exec(href ?? '')?.[1] ?? '';
            expect(escalationPostId, `permalink ${href}`).toMatch(/^[a-z0-9]{26}$/);
        });

        step('the bot\'s post arrives over the WebSocket: open, owned by the default owner, with its buttons', async () => {
            await escalationPost().waitFor({timeout: 15_000});
            expect(await headline()).toBe(`${run().topic_title} · Open · Owner: @${run().default_owner} (default, not acknowledged yet)`);
            expect(await escalationPost().innerText()).toContain(run().note);
            expect(await escalationPost().locator('.actions button').allInnerTexts()).toEqual(
                ['Claim', 'Resolve: responded', 'Resolve: no response needed', 'Response tips']);
            expect(await escalationPost().getByRole('combobox', {name: 'Assign: choose an owner'}).count()).toBe(1);
            await shot('2-posted');
        });

        step('Claim: the post says the responder owns it, and the notice follows', async () => {
            await escalationPost().getByRole('button', {name: 'Claim'}).click();
            await expect.poll(headline, {timeout: 15_000}).toBe(`${run().topic_title} · Claimed · Owner: @${run().user}`);
            expect(await escalationPost().locator('.actions button').allInnerTexts()).toContain('Release');
            await expect.poll(() => notice().innerText()).toContain(`Claimed by @${run().user}`);
            await shot('3-claimed');
        });

        step('Assign: choosing another responder hands it over', async () => {
            await escalationPost().getByRole('combobox', {name: 'Assign: choose an owner'}).selectOption(run().assignee);
            await expect.poll(headline, {timeout: 15_000}).toMatch(new RegExp(`^${escape(run().topic_title)} · Open · Owner: @${escape(run().assignee)}`));
            await expect.poll(() => notice().innerText()).toContain(`Open: assigned to @${run().assignee}`);
        });

        step('Resolve: no response needed collapses the post to one line without buttons', async () => {
            await escalationPost().getByRole('button', {name: 'Resolve: no response needed'}).click();
            await expect.poll(headline, {timeout: 15_000}).toMatch(new RegExp(`^${escape(run().topic_title)} · Resolved · Escalated by @${escape(run().user)}`));
            expect(await escalationPost().locator('.actions button, .actions select').count()).toBe(0);
            expect(await escalationPost().locator('.attachment-text').innerText()).toContain('Outcome: no response needed');
            await expect.poll(() => notice().innerText()).toContain('Resolved');
            await shot('4-resolved');
        });

        step('no errors: nothing logged, the plugin never hit the host\'s error boundary, no failed call', async () => {
            expect(await page.getByTestId('plugin-error').count()).toBe(0);
            expect(await page.getByTestId('host-error').count()).toBe(0);
            expect(pageErrors).toEqual([]);
        });
    });
}

function escape(text: string): string {
    return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
