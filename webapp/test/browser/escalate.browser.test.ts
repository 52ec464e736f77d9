/**
 * Real-browser test: Debian's Chromium (driven by playwright-core, never a downloaded browser) loads
 * the built dist/main.js into a stand-in host page, opens Escalate on a message, picks a topic with
 * the keyboard, submits against a stub backend, and checks the request and what the user sees.
 * Screenshots go to webapp/test-artifacts/ (git-ignored).
 *
 * Fails, never skips, when Chromium or the bundle is missing.
 */
import {build} from 'esbuild';
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';
import {chromium, type BrowserContext, type Page} from 'playwright-core';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import type {TopicsResponse} from 'src/types/api';

import {CSRF_TOKEN, startStubServer, type StubServer} from './stub_server';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const ARTIFACTS = join(ROOT, 'test-artifacts');
const MAIN_JS = join(ROOT, 'dist', 'main.js');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = [
    '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync',
];
const PLUGIN_ID = (JSON.parse(readFileSync(join(ROOT, '..', 'plugin.json'), 'utf8')) as {id: string}).id;
const API = `/chat/plugins/${PLUGIN_ID}/api/v1`;

const USER_POST = 'a'.repeat(26);
const SYSTEM_POST = 's'.repeat(26);
const EPHEMERAL_POST = 'f'.repeat(26);
const ESCALATION_POST = 'e'.repeat(26);

const POSTS = [
    {id: USER_POST, username: 'alice', type: '', props: {},
        message: 'Hi all, I think I found a way to read messages in a private channel I am not a member of, just by calling the API '
            + 'with its channel ID (self-hosted 10.5). Before I write it up on GitHub: is there a private way to send you the details?'},
    {id: SYSTEM_POST, username: 'System', type: 'system_join_channel', props: {}, message: 'bob joined the channel.'},
    {id: EPHEMERAL_POST, username: 'System', type: 'system_ephemeral', props: {}, message: '(Only visible to you) Command finished.'},
    {id: ESCALATION_POST, username: 'escalations (bot)', type: '',
        props: {community_escalation_id: 'esc-1', from_bot: 'true', from_plugin: 'true'},
        message: 'Escalation: Security vulnerabilities, open.'},
].map((p) => ({...p, user_id: 'u'.repeat(26), channel_id: 'c'.repeat(26), create_at: 1700000000000, delete_at: 0, pending_post_id: ''}));

// The real plugin's answer for the bundled policy (scripts/export_topics_fixture.py; kept in step with
// the server by tests/app/test_webapp_fixture.py), so what the browser shows, and the README
// screenshot taken here, is the real policy.
const TOPICS = JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'topics.json'), 'utf8')) as TopicsResponse;
const SECURITY = TOPICS.topics.findIndex((t) => t.key === 'security-vulnerabilities');
const NOTE = 'Reported in public in ~contributors. They have a working proof of concept but have not posted the steps yet; '
    + 'please move them to a private channel before anyone else tries it.';

function escalation(overrides: Record<string, unknown> = {}) {
    return {
        id: 'esc-1', topic: 'security-vulnerabilities', topic_title: 'Security vulnerabilities', state: 'open', owner: null,
        default_owner: 'daniel.schalla', outcome: null, post_id: USER_POST, escalation_post_id: ESCALATION_POST,
        permalink: `http://127.0.0.1/private-core/pl/${ESCALATION_POST}`, created_by: 'alice',
        created_at: 1700000000000, updated_at: 1700000000000, ...overrides,
    };
}

// Besides the page layout, a few of the Bootstrap 3 globals the real host ships, which plugin markup
// inherits (box-sizing, blockquote, label, headings, dl).
const HOST_CSS = `
* { box-sizing: border-box; }
blockquote { padding: 10px 20px; margin: 0 0 20px; font-size: 17.5px; border-left: 5px solid #eee; }
label { display: inline-block; max-width: 100%; margin-bottom: 5px; font-weight: 700; }
h2 { font-size: 30px; margin: 20px 0 10px; } h3 { font-size: 24px; margin: 20px 0 10px; }
dl { margin-top: 0; margin-bottom: 20px; } dt { font-weight: 700; } dd { margin-left: 0; }
body { margin: 0; font-family: 'Open Sans', sans-serif; font-size: 14px; color: #3f4350; background: #fff; }
.channel-header { padding: 14px 20px; font-weight: 600; font-size: 16px; border-bottom: 1px solid rgba(63,67,80,.16); }
.post { display: flex; padding: 10px 20px; gap: 12px; }
.post:hover { background: rgba(63,67,80,.04); }
.post--system { color: rgba(63,67,80,.64); }
.post-body { flex: 1; } .post-body p { margin: 2px 0 0; }
.post-actions { position: relative; }
.post-actions > button { border: none; background: transparent; font-size: 18px; cursor: pointer; }
.menu { position: absolute; right: 0; top: 28px; z-index: 10; margin: 0; padding: 8px 0; list-style: none; min-width: 180px;
  background: #fff; border: 1px solid rgba(63,67,80,.16); border-radius: 4px; box-shadow: 0 8px 24px rgba(0,0,0,.12); }
.menu li { padding: 6px 16px; cursor: pointer; } .menu li:hover { background: rgba(63,67,80,.08); }
`;

let server: StubServer;
let context: BrowserContext;
let page: Page;
let profileDir: string;
const pageErrors: string[] = [];

async function shot(name: string): Promise<void> {
    await page.screenshot({path: join(ARTIFACTS, `${name}.png`)});
}

async function menuItems(postId: string): Promise<string[]> {
    const button = page.getByRole('button', {name: `Message actions for ${postId}`});
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

beforeAll(async () => {
    try {
        await setUp();
    } catch (err) {
        setupError = err instanceof Error ? err : new Error(String(err));
    }
});

async function setUp(): Promise<void> {
    if (!existsSync(CHROMIUM)) {
        throw new Error(`No Chromium at ${CHROMIUM}. Install Debian's chromium with webapp/scripts/ensure-chromium.sh (as root), or set CHROMIUM_PATH.`);
    }
    if (!existsSync(MAIN_JS)) {
        throw new Error(`${MAIN_JS} is missing: run "npm run build" first ("npm test" does).`);
    }
    mkdirSync(ARTIFACTS, {recursive: true});
    const host = await build({
        entryPoints: [join(ROOT, 'test/browser/host/host.tsx')],
        bundle: true, write: false, format: 'iife', platform: 'browser', jsx: 'transform', minify: true,
        define: {'process.env.NODE_ENV': '"production"'}, logLevel: 'warning',
    });
    const html = `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Stand-in Mattermost host</title>
<style>${HOST_CSS}</style></head><body><div id="root"></div>
<script>window.__HOST_POSTS__ = ${JSON.stringify(POSTS)};</script>
<script src="/chat/static/host.js"></script>
<script src="/chat/static/plugins/main.js"></script>
</body></html>`;
    server = await startStubServer({html, hostJs: host.outputFiles[0].text, pluginJs: () => readFileSync(MAIN_JS, 'utf8')});
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
        if (msg.type() === 'error' && !(msg.text().startsWith('Failed to load resource') && url.endsWith(`${API}/escalations`))) {
            pageErrors.push(`${msg.text()} ${url}`);
        }
    });
}

afterAll(async () => {
    await context?.close();
    await server?.close();
    if (profileDir) {
        rmSync(profileDir, {recursive: true, force: true});
    }
});

describe('Escalate in a real browser', () => {
    step('loads dist/main.js into the host, registered under the id from plugin.json', async () => {
        await page.goto(`${server.url}/chat/channels/ask-anything`);
        await page.waitForFunction(() => Boolean((window as unknown as {__host?: {registered: {pluginId: string}}}).__host?.registered.pluginId));
        const registered = await page.evaluate(() => {
            const host = (window as unknown as {__host: {registered: {pluginId: string; menu: unknown[]; roots: unknown[]; ws: Record<string, unknown>}}}).__host;
            return {id: host.registered.pluginId, menu: host.registered.menu.length, roots: host.registered.roots.length, ws: Object.keys(host.registered.ws)};
        });
        expect(registered).toEqual({id: PLUGIN_ID, menu: 1, roots: 1, ws: [`custom_${PLUGIN_ID}_escalation_updated`]});
        expect(pageErrors).toEqual([]);
    });

    step('offers Escalate on a user post only: not on system, ephemeral or escalation posts', async () => {
        expect(await menuItems(USER_POST)).toEqual(['Escalate']);
        expect(await menuItems(SYSTEM_POST)).toEqual([]);
        expect(await menuItems(EPHEMERAL_POST)).toEqual([]);
        expect(await menuItems(ESCALATION_POST)).toEqual([]);
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
        await expect.poll(() => page.evaluate(() => document.activeElement?.getAttribute('data-topic'))).toBe('privacy-telemetry');
        await page.keyboard.press('ArrowDown');
        await expect.poll(() => page.getByTestId('topic-preview').textContent()).toContain('Jason Blais (@jason.blais)');
        for (let i = 0; i < SECURITY; i++) {
            await page.keyboard.press('ArrowDown');
        }
        const security = page.getByRole('radio', {name: 'Security vulnerabilities'});
        await expect.poll(() => security.getAttribute('aria-checked')).toBe('true');
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
        await page.getByLabel('Note for the responders (optional)').fill(NOTE);
        await page.evaluate(() => document.querySelector('.ce-body')?.scrollTo(0, 0));
        // For the README screenshot: start the topic list on a whole topic (Packaging), so the chosen
        // one sits mid-list and the cut-off last row still shows that the list scrolls.
        await page.evaluate(() => {
            const list = document.querySelector<HTMLElement>('.ce-topics');
            const first = list?.querySelector<HTMLElement>('[data-topic="packaging"]');
            if (list && first) {
                list.scrollTop = first.offsetTop - list.offsetTop - 1;
            }
        });
        await shot('modal-topic-chosen');
        await page.getByRole('dialog').screenshot({path: join(ARTIFACTS, 'escalate-modal.png')});
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
        expect(await notice.getByRole('link', {name: 'View escalation'}).getAttribute('href')).toBe(escalation().permalink);
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
        expect(JSON.parse(last.body)).toEqual({
            post_id: USER_POST,
            topic: 'security-vulnerabilities',
            note: NOTE,
        });
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

    step('an already-escalated post links to the existing escalation (200)', async () => {
        server.script(`GET ${API}/topics`, {status: 200, body: TOPICS});
        server.script(`POST ${API}/escalations`, {status: 200, body: escalation({state: 'claimed', owner: 'daniel.schalla'})});
        await openEscalate();
        await page.getByRole('radio', {name: /Security vulnerabilities/}).click();
        await page.getByRole('button', {name: 'Escalate', exact: true}).click();
        await page.getByRole('dialog').waitFor({state: 'detached'});
        const notice = page.getByTestId('escalation-notice');
        await expect.poll(() => notice.textContent()).toContain('This message was already escalated under Security vulnerabilities.');
        expect(await notice.getByRole('link', {name: 'View the existing escalation'}).getAttribute('href')).toBe(escalation().permalink);
        expect(JSON.parse(server.requests.filter((r) => r.method === 'POST')[2].body)).toEqual({post_id: USER_POST, topic: 'security-vulnerabilities'});
    });

    step('Escape closes the modal; the page logged no errors', async () => {
        await openEscalate();
        await page.getByRole('radio').first().waitFor();
        await page.keyboard.press('Escape');
        await page.getByRole('dialog').waitFor({state: 'detached'});
        expect(pageErrors).toEqual([]);
    });
});
