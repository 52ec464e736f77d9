/**
 * Real-browser test: Debian's Chromium (driven by playwright-core, never a downloaded browser) loads
 * the built dist/main.js into a stand-in host page, once per supported host (`hosts.ts`: the React,
 * ReactDOM, Redux, React-Redux and react-intl versions of the oldest and the newest supported
 * server), opens Escalate on a message, picks a topic with the keyboard, submits against a stub
 * backend, follows the notice's link, and checks the request, what the user sees, and the modal and
 * notice with axe-core. Screenshots (light and dark themes) go to webapp/test-artifacts/ (git-ignored).
 *
 * Fails, never skips, when Chromium or the bundle is missing.
 */
import {build} from 'esbuild';
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {createRequire} from 'node:module';
import {tmpdir} from 'node:os';
import {dirname, join, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';
import {chromium, type BrowserContext, type Page} from 'playwright-core';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import type {TopicsResponse} from 'src/types/api';

import {HOSTS, type HostSpec} from './hosts';
import {CSRF_TOKEN, startStubServer, type StubServer} from './stub_server';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const ARTIFACTS = join(ROOT, 'test-artifacts');
const MAIN_JS = join(ROOT, 'dist', 'main.js');
const AXE_JS = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
const PLUGIN_ID = (JSON.parse(readFileSync(join(ROOT, '..', 'plugin.json'), 'utf8')) as {id: string}).id;
const BASENAME = '/chat';
const API = `${BASENAME}/plugins/${PLUGIN_ID}/api/v1`;

const USER_POST = 'a'.repeat(26);
const SYSTEM_POST = 's'.repeat(26);
const EPHEMERAL_POST = 'f'.repeat(26);
const ESCALATION_POST = 'e'.repeat(26);
const SHARED_POST = 'r'.repeat(26);
const CHANNEL = 'c'.repeat(26);
const SHARED_CHANNEL = 'd'.repeat(26);

const POSTS = [
    {id: USER_POST, username: 'alice', type: '', props: {},
        message: 'Hi all, I think I found a way to read messages in a private channel I am not a member of, just by calling the API '
            + 'with its channel ID (self-hosted 10.5). Before I write it up on GitHub: is there a private way to send you the details?'},
    {id: SYSTEM_POST, username: 'System', type: 'system_join_channel', props: {}, message: 'bob joined the channel.'},
    {id: EPHEMERAL_POST, username: 'System', type: 'system_ephemeral', props: {}, message: '(Only visible to you) Command finished.'},
    {id: ESCALATION_POST, username: 'escalations (bot)', type: '', user_id: 'b'.repeat(26), author_is_bot: true,
        props: {community_escalation_id: 'esc-1', from_bot: 'true', from_plugin: 'true'},
        message: 'Escalation: Security vulnerabilities, open.'},
    {id: SHARED_POST, username: 'carol (remote)', type: '', props: {}, channel_id: SHARED_CHANNEL,
        message: 'Same question from a shared channel: where do I report a vulnerability privately?'},
].map((p) => ({user_id: 'u'.repeat(26), channel_id: CHANNEL, create_at: 1700000000000, delete_at: 0, pending_post_id: '', ...p}));
const CHANNELS = [
    {id: CHANNEL, name: 'ask-anything', display_name: 'Ask Anything', shared: false},
    {id: SHARED_CHANNEL, name: 'partners', display_name: 'Partners', shared: true},
];

// The real plugin's answer for the bundled policy (scripts/export_topics_fixture.py; kept in step with
// the server by tests/app/test_webapp_fixture.py), so what the browser shows, and the README
// screenshots taken here, is the real policy.
const TOPICS = JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'topics.json'), 'utf8')) as TopicsResponse;
const SECURITY = TOPICS.topics.findIndex((t) => t.key === 'security-vulnerabilities');
const NOTE = 'Reported in public in ~contributors. They have a working proof of concept but have not posted the steps yet; '
    + 'please move them to a private channel before anyone else tries it.';
const PERMALINK_PATH = `/private-core/pl/${ESCALATION_POST}`;
const ISSUE = 'https://github.com/mattermost/mattermost/issues/31337';
const SUMMARY = 'A reporter on GitHub says telemetry is sent before consent is given.';

// Besides the page layout, a few of the Bootstrap 3 globals the real host ships, which plugin markup
// inherits (box-sizing, blockquote, label, headings, dl).
const HOST_CSS = `
* { box-sizing: border-box; }
blockquote { padding: 10px 20px; margin: 0 0 20px; font-size: 17.5px; border-left: 5px solid #eee; }
label { display: inline-block; max-width: 100%; margin-bottom: 5px; font-weight: 700; }
h2 { font-size: 30px; margin: 20px 0 10px; } h3 { font-size: 24px; margin: 20px 0 10px; }
dl { margin-top: 0; margin-bottom: 20px; } dt { font-weight: 700; } dd { margin-left: 0; }
body { margin: 0; font-family: 'Open Sans', sans-serif; font-size: 14px; color: #3f4350; background: #fff; }
.channel { min-height: 100vh; }
.sr-only { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
.channel-header-button { margin-left: 12px; border: none; background: transparent; color: inherit; cursor: pointer; vertical-align: middle; }
.channel-header { margin: 0; padding: 14px 20px; font-weight: 600; font-size: 16px; border-bottom: 1px solid rgba(128,128,128,.3); }
.post { display: flex; padding: 10px 20px; gap: 12px; }
.post--system { opacity: .75; }
.post-body { flex: 1; } .post-body p { margin: 2px 0 0; }
.post-actions { position: relative; }
.post-actions > button { border: none; background: transparent; color: inherit; font-size: 18px; cursor: pointer; }
.menu { position: absolute; right: 0; top: 28px; z-index: 10; margin: 0; padding: 8px 0; list-style: none; min-width: 180px;
  background: #fff; color: #3f4350; border: 1px solid rgba(63,67,80,.16); border-radius: 4px; box-shadow: 0 8px 24px rgba(0,0,0,.12); }
.menu li { padding: 6px 16px; cursor: pointer; } .menu li:hover { background: rgba(63,67,80,.08); }
`;

for (const host of HOSTS) {
    describeHost(host);
}

function describeHost(host: HostSpec): void {
    let server: StubServer;
    let context: BrowserContext;
    let page: Page;
    let profileDir: string;
    const pageErrors: string[] = [];

    const permalink = () => `${server.url}${BASENAME}${PERMALINK_PATH}`;
    const escalation = (overrides: Record<string, unknown> = {}) => ({
        id: 'esc-1', topic: 'security-vulnerabilities', topic_title: 'Security vulnerabilities', state: 'open', owner: null,
        default_owner: 'daniel.schalla', outcome: null, post_id: USER_POST, escalation_post_id: ESCALATION_POST,
        permalink: permalink(), created_by: 'alice', created_at: 1700000000000, updated_at: 1700000000000, ...overrides,
    });

    async function shot(name: string): Promise<void> {
        await page.screenshot({path: join(ARTIFACTS, `${host.name}-${name}.png`)});
    }

    async function menuItems(postId: string): Promise<string[] | null> {
        const button = page.getByRole('button', {name: `Message actions for ${postId}`});
        if (await button.count() === 0) {
            return null; // no "Message actions" menu on this post at all
        }
        await button.click();
        const menu = page.getByRole('menu', {name: 'Message actions'});
        await menu.waitFor();
        const items = await menu.getByRole('menuitem').allTextContents();
        await button.click();
        return items;
    }

    async function openEscalate(): Promise<void> {
        await page.getByRole('button', {name: `Message actions for ${USER_POST}`}).click();
        await page.getByRole('menuitem', {name: 'Escalate'}).click();
        await page.getByRole('dialog', {name: 'Escalate message'}).waitFor();
    }

    async function chooseSecurityWithNote(): Promise<void> {
        const radios = page.getByRole('radio');
        await radios.first().waitFor();
        await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-topic'))).toBe('privacy-telemetry');
        // With nothing chosen yet, the first arrow key chooses the focused (first) topic.
        await page.keyboard.press('ArrowDown');
        await expect.poll(() => page.getByTestId('topic-preview').textContent()).toContain('Jason Blais (@jason.blais)');
        for (let i = 0; i < SECURITY; i++) {
            await page.keyboard.press('ArrowDown');
        }
        await expect.poll(() => page.getByRole('radio', {name: 'Security vulnerabilities'}).getAttribute('aria-checked')).toBe('true');
        await page.getByLabel('Note for the responders (optional)').fill(NOTE);
    }

    /** Frames the modal for a screenshot: the note and the chosen topic in view, the list mid-scroll. */
    async function frameModal(): Promise<void> {
        await page.evaluate(() => {
            document.querySelector('.ce-body')?.scrollTo(0, 0);
            const list = document.querySelector<HTMLElement>('.ce-topics');
            const first = list?.querySelector<HTMLElement>('[data-topic="packaging"]');
            if (list && first) {
                list.scrollTop = first.offsetTop - list.offsetTop - 1;
            }
        });
    }

    /** axe-core's findings (every rule it runs by default) inside the first element matching `selector`. */
    async function axeViolations(selector: string): Promise<string[]> {
        if (!await page.evaluate(() => 'axe' in window)) {
            await page.addScriptTag({content: AXE_JS});
        }
        return page.evaluate(async (sel) => {
            const axe = (window as unknown as {axe: {run(ctx: Element, opts: object): Promise<{
                violations: Array<{id: string; help: string; nodes: Array<{target: unknown[]}>}>;
            }>}}).axe;
            const context = document.querySelector(sel);
            if (!context) {
                return [`nothing matches ${sel}`];
            }
            const result = await axe.run(context, {resultTypes: ['violations']});
            return result.violations.map((v) => `${v.id}: ${v.help} (${v.nodes.map((n) => n.target.join(' ')).join(', ')})`);
        }, selector);
    }

    /**
     * A missing browser or bundle must fail every test with the reason, not skip them (a failing
     * beforeAll makes vitest report the tests as skipped), so setup problems are kept and rethrown.
     */
    let setupError: Error | null = null;

    function step(name: string, fn: () => Promise<void>): void {
        it(name, async () => {
            if (setupError) {
                throw setupError;
            }
            await fn();
        });
    }

    async function setUp(): Promise<void> {
        if (!existsSync(CHROMIUM)) {
            throw new Error(`No Chromium at ${CHROMIUM}. Install Debian's chromium with webapp/scripts/ensure-chromium.sh (as root), or set CHROMIUM_PATH.`);
        }
        if (!existsSync(MAIN_JS)) {
            throw new Error(`${MAIN_JS} is missing: run "npm run build" first ("npm test" does).`);
        }
        mkdirSync(ARTIFACTS, {recursive: true});
        const hostJs = await build({
            entryPoints: [join(ROOT, 'test/browser/host/host.tsx')],
            bundle: true, write: false, format: 'iife', platform: 'browser', jsx: 'transform', minify: true,
            alias: host.alias, define: {'process.env.NODE_ENV': '"production"'}, logLevel: 'warning',
        });
        const data = {posts: POSTS, channels: CHANNELS, basename: BASENAME, featureFlags: {}};
        const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Stand-in Mattermost host</title>
<style>${HOST_CSS}</style></head><body><div id="root"></div>
<script>window.__HOST_DATA__ = ${JSON.stringify(data)};</script>
<script src="${BASENAME}/static/host.js"></script>
<script src="${BASENAME}/static/plugins/main.js"></script>
</body></html>`;
        server = await startStubServer({html, hostJs: hostJs.outputFiles[0].text, pluginJs: () => readFileSync(MAIN_JS, 'utf8')});
        profileDir = mkdtempSync(join(tmpdir(), 'escalations-chromium-'));
        context = await chromium.launchPersistentContext(profileDir, {
            executablePath: CHROMIUM,
            headless: true,
            args: CHROMIUM_ARGS,
            viewport: {width: 1200, height: 1000},
        });
        page = context.pages()[0] ?? await context.newPage();
        page.on('pageerror', (err) => pageErrors.push(String(err)));
        page.on('console', (msg) => {
            // The browser logs every non-2xx fetch; the scripted 403 is expected, anything else is not.
            const url = msg.location().url;
            const scripted = url.endsWith(`${API}/escalations`) || url.endsWith(`${API}/escalations/links`);
            if (msg.type() === 'error' && !(msg.text().startsWith('Failed to load resource') && scripted)) {
                pageErrors.push(`${msg.text()} ${url}`);
            }
        });
    }

    describe(`Escalate in a real browser, host of ${host.servers} (React ${host.react})`, () => {
        beforeAll(async () => {
            try {
                await setUp();
            } catch (err) {
                setupError = err instanceof Error ? err : new Error(String(err));
            }
        });

        afterAll(async () => {
            await context?.close();
            await server?.close();
            if (profileDir) {
                rmSync(profileDir, {recursive: true, force: true});
            }
        });

        step('loads dist/main.js into the host, registered under the id from plugin.json', async () => {
            await page.goto(`${server.url}${BASENAME}/channels/ask-anything`);
            await page.waitForFunction(() => Boolean((window as unknown as {__host?: {registered: {pluginId: string}}}).__host?.registered.pluginId));
            const registered = await page.evaluate(() => {
                const h = (window as unknown as {__host: {
                    registered: {pluginId: string; menu: unknown[]; header: unknown[]; roots: unknown[]; ws: Record<string, unknown>};
                    versions: {react: string; reactDom: string};
                }}).__host;
                return {
                    id: h.registered.pluginId, menu: h.registered.menu.length, header: h.registered.header.length, roots: h.registered.roots.length,
                    ws: Object.keys(h.registered.ws), react: h.versions.react,
                    // react-dom 18.2.0 reports itself as "18.2.0-next-9e3b772b8-20220608".
                    reactDom: h.versions.reactDom.split('-')[0],
                };
            });
            expect(registered).toEqual({
                id: PLUGIN_ID, menu: 1, header: 1, roots: 1, ws: [`custom_${PLUGIN_ID}_escalation_updated`], react: host.react, reactDom: host.react,
            });
            expect(pageErrors).toEqual([]);
        });

        step('offers Escalate in "Message actions" on a user post only', async () => {
            expect(await menuItems(USER_POST)).toEqual(['Escalate']);
            // The host shows no "Message actions" on system messages (ephemeral ones included) ...
            expect(await menuItems(SYSTEM_POST)).toBeNull();
            expect(await menuItems(EPHEMERAL_POST)).toBeNull();
            // ... the plugin's filter leaves out its own escalation posts ...
            expect(await menuItems(ESCALATION_POST)).toEqual([]);
            // ... and the host hides plugin items in a shared channel.
            expect(await menuItems(SHARED_POST)).toEqual([]);
        });

        step('opens the modal, shows loading, then the topics; keyboard picks a topic and the preview follows', async () => {
            server.script(`GET ${API}/topics`, {status: 200, body: TOPICS, delayMs: 600});
            await openEscalate();
            await expect(page.getByTestId('topics-loading').textContent()).resolves.toBe('Loading topics…');
            await shot('modal-loading');
            const radios = page.getByRole('radio');
            await radios.first().waitFor();
            expect(await radios.count()).toBe(TOPICS.topics.length);
            expect(await radios.evaluateAll((els) => els.map((e) => e.getAttribute('data-topic')))).toEqual(TOPICS.topics.map((t) => t.key));
            await chooseSecurityWithNote();
            const preview = page.getByTestId('topic-preview');
            expect(await preview.getByRole('listitem').allTextContents()).toEqual([
                // Approved responders: Head of Security, Security PM, CTO.
                'Daniel Schalla (@daniel.schalla)', 'Katie Wiersgalla (@katie.wiersgalla)', 'Corey Hulen (@corey.hulen)',
                // Loop in: CEO, VP Product, CFO.
                'Ian Tien (@ian.tien)', 'Chen-i Lim (@chen-i.lim)', 'Kendra Neidziejko (@kendra.neidziejko)',
            ]);
            const text = await preview.textContent();
            expect(text).toContain('Default ownerDaniel Schalla (@daniel.schalla)');
            expect(text).toContain('Template responseNo official response yet: an approved responder writes one.');
            expect(await page.getByTestId('guidance').textContent()).toContain(TOPICS.non_sensitive_guidance);
            await frameModal();
            await shot('modal-topic-chosen');
            await page.getByRole('dialog').screenshot({path: join(ARTIFACTS, `${host.name}-escalate-modal.png`)});
        });

        step('the modal passes axe-core with no violations', async () => {
            expect(await axeViolations('[role="dialog"]')).toEqual([]);
        });

        step('shows the server error as sent and keeps the modal open', async () => {
            server.script(`POST ${API}/escalations`,
                {status: 403, body: {error: "You can't escalate a message in a channel you cannot read."}},
                {status: 201, body: escalation()},
            );
            await page.getByRole('radio', {name: /Security vulnerabilities/}).focus();
            await page.keyboard.press('Enter');
            const error = page.getByTestId('submit-error');
            await error.waitFor();
            expect(await error.textContent()).toBe("You can't escalate a message in a channel you cannot read.");
            expect(await page.getByRole('dialog').isVisible()).toBe(true);
            await shot('modal-server-error');
        });

        step('submits with the CSRF token and a JSON body, then closes and links to the escalation', async () => {
            await page.keyboard.press('Enter');
            await page.getByRole('dialog').waitFor({state: 'detached'});
            const notice = page.getByTestId('escalation-notice');
            await notice.waitFor();
            expect(await notice.textContent()).toContain('Escalated under Security vulnerabilities.');
            expect(await notice.getByRole('link', {name: 'View escalation'}).getAttribute('href')).toBe(permalink());
            await shot('escalation-notice');

            const topicsGet = server.requests.find((r) => r.method === 'GET');
            expect(topicsGet?.path).toBe(`${API}/topics`);
            expect(topicsGet?.headers['x-csrf-token']).toBeUndefined();
            const posts = server.requests.filter((r) => r.method === 'POST');
            expect(posts).toHaveLength(2);
            const last = posts[1];
            expect(last.path).toBe(`${API}/escalations`);
            expect(last.headers['x-csrf-token']).toBe(CSRF_TOKEN);
            expect(last.headers['x-requested-with']).toBe('XMLHttpRequest');
            expect(last.headers['content-type']).toBe('application/json');
            expect(last.headers.cookie).toContain(`MMCSRF=${CSRF_TOKEN}`);
            expect(JSON.parse(last.body)).toEqual({post_id: USER_POST, topic: 'security-vulnerabilities', note: NOTE, channel_id: CHANNEL});
        });

        step('the notice passes axe-core with no violations', async () => {
            expect(await axeViolations('[data-testid="escalation-notice"]')).toEqual([]);
        });

        step('keeps the notice current from WebSocket events', async () => {
            await page.evaluate((event) => {
                (window as unknown as {__host: {emit: (m: unknown) => void}}).__host.emit({
                    event,
                    data: {escalation_id: 'esc-1', state: 'claimed', owner: 'daniel.schalla', topic: 'security-vulnerabilities', escalation_post_id: 'e'.repeat(26)},
                });
            }, `custom_${PLUGIN_ID}_escalation_updated`);
            await expect.poll(() => page.getByTestId('escalation-state').textContent()).toBe('Claimed by @daniel.schalla');
        });

        step('"View escalation" opens the permalink in the app under the subpath, once, without a reload', async () => {
            await page.evaluate(() => {
                (window as unknown as {__sameDocument: boolean}).__sameDocument = true;
            });
            await page.getByTestId('escalation-notice').getByRole('link', {name: 'View escalation'}).click();
            await expect.poll(() => page.evaluate(() => window.location.pathname)).toBe(`${BASENAME}${PERMALINK_PATH}`);
            expect(await page.getByTestId('route').textContent()).toBe(PERMALINK_PATH);
            expect(await page.evaluate(() => (window as unknown as {__sameDocument?: boolean}).__sameDocument)).toBe(true);
        });

        step('an already-escalated post links to the existing escalation (200)', async () => {
            server.script(`GET ${API}/topics`, {status: 200, body: TOPICS});
            server.script(`POST ${API}/escalations`, {status: 200, body: escalation({state: 'claimed', owner: 'daniel.schalla'})});
            await openEscalate();
            await page.getByRole('radio', {name: /Security vulnerabilities/}).click();
            await page.getByRole('button', {name: 'Escalate', exact: true}).click();
            await page.getByRole('dialog').waitFor({state: 'detached'});
            const notice = page.getByTestId('escalation-notice');
            await expect.poll(() => notice.textContent()).toContain('This message was already escalated under Security vulnerabilities.');
            expect(await notice.getByRole('link', {name: 'View the existing escalation'}).getAttribute('href')).toBe(permalink());
            expect(JSON.parse(server.requests.filter((r) => r.method === 'POST')[2].body)).toEqual({post_id: USER_POST, topic: 'security-vulnerabilities', channel_id: CHANNEL});
        });

        step('in the dark (Onyx) theme the modal and the notice pass axe-core too', async () => {
            await page.evaluate(() => (window as unknown as {__host: {setTheme: (n: string) => void}}).__host.setTheme('onyx'));
            expect(await axeViolations('[data-testid="escalation-notice"]')).toEqual([]);
            await openEscalate();
            await chooseSecurityWithNote();
            await frameModal();
            await shot('modal-topic-chosen-dark');
            await page.getByRole('dialog').screenshot({path: join(ARTIFACTS, `${host.name}-escalate-modal-dark.png`)});
            expect(await axeViolations('[role="dialog"]')).toEqual([]);
            await page.keyboard.press('Escape');
            await page.getByRole('dialog').waitFor({state: 'detached'});
            await page.evaluate(() => (window as unknown as {__host: {setTheme: (n: string) => void}}).__host.setTheme('denim'));
        });

        step('Escape closes the modal; keys pressed in it never reach the host\'s document shortcuts', async () => {
            await openEscalate();
            await page.getByRole('radio').first().waitFor();
            const documentKeys = () => page.evaluate(() => (window as unknown as {__host: {documentKeys: string[]}}).__host.documentKeys);
            const before = (await documentKeys()).length;
            await page.keyboard.press('ArrowDown');
            await page.getByLabel('Note for the responders (optional)').focus();
            await page.keyboard.type('ok');
            await page.keyboard.press('Escape');
            await page.getByRole('dialog').waitFor({state: 'detached'});
            expect((await documentKeys()).slice(before)).toEqual([]);
        });

        step('the channel-header button escalates a link raised outside Mattermost', async () => {
            server.script(`GET ${API}/topics`, {status: 200, body: TOPICS});
            server.script(`POST ${API}/escalations/links`,
                {status: 403, body: {error: 'Only members of the private-core team can escalate posts; ask one of them or a moderator.'}},
                {status: 201, body: escalation({post_id: '', source_url: ISSUE})},
            );
            await page.getByRole('button', {name: 'Escalate a link'}).click();
            const dialog = page.getByRole('dialog', {name: 'Escalate a link'});
            await dialog.waitFor();
            await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('id') ?? '')).toMatch(/-url$/);
            await page.keyboard.type(ISSUE);
            await page.getByLabel('Summary').fill(SUMMARY);
            await page.getByRole('radio', {name: /Privacy/}).click();
            await shot('link-modal');
            await dialog.screenshot({path: join(ARTIFACTS, `${host.name}-escalate-link-modal.png`)});
            expect(await axeViolations('[role="dialog"]')).toEqual([]);
            await page.getByRole('button', {name: 'Escalate', exact: true}).click();
            const error = page.getByTestId('submit-error');
            await error.waitFor();
            expect(await error.textContent()).toContain('Only members of the private-core team can escalate');
            await page.getByRole('button', {name: 'Escalate', exact: true}).click();
            await dialog.waitFor({state: 'detached'});
            await expect.poll(() => page.getByTestId('escalation-notice').textContent()).toContain('Escalated under Security vulnerabilities.');
            const sent = server.requests.filter((r) => r.method === 'POST' && r.path === `${API}/escalations/links`);
            expect(sent).toHaveLength(2);
            expect(sent[1].headers['x-csrf-token']).toBe(CSRF_TOKEN);
            expect(JSON.parse(sent[1].body)).toEqual({url: ISSUE, topic: 'privacy-telemetry', summary: SUMMARY, channel_id: CHANNEL});
        });

        step('the plugin never hit the host\'s error boundary; no errors logged', async () => {
            expect(await page.getByTestId('plugin-error').count()).toBe(0);
            expect(pageErrors).toEqual([]);
        });
    });
}
