/**
 * Real-browser pictures of the escalation post, open, claimed and resolved, in light and dark themes.
 *
 * The posts are the real server's post JSON (test/fixtures/escalation_posts.json, kept in step with
 * the server by tests/e2e/test_e2e_post_fixture.py), drawn by the stand-in renderer of post_page.ts.
 * Screenshots go to webapp/test-artifacts/post-<state>-<theme>.png (git-ignored);
 * docs/screenshots/post-*.png are copies. Fails, never skips, when Chromium is missing.
 */
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync} from 'node:fs';
import {tmpdir} from 'node:os';
import {dirname, join, resolve} from 'node:path';
import {fileURLToPath} from 'node:url';
import {chromium, type BrowserContext, type Page} from 'playwright-core';
import {afterAll, beforeAll, describe, expect, it} from 'vitest';

import {postPage, type PostJson, type Theme} from './post_page';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const ARTIFACTS = join(ROOT, 'test-artifacts');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'];

type State = 'open' | 'claimed' | 'resolved';
const POSTS = JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'escalation_posts.json'), 'utf8')) as Record<State, PostJson>;
const THEMES: Theme[] = ['light', 'dark'];

let setupError: Error | null = null;
let context: BrowserContext;
let page: Page;
let profileDir: string;

beforeAll(async () => {
    try {
        if (!existsSync(CHROMIUM)) {
            throw new Error(`No Chromium at ${CHROMIUM}. Install Debian's chromium with webapp/scripts/ensure-chromium.sh (as root), or set CHROMIUM_PATH.`);
        }
        mkdirSync(ARTIFACTS, {recursive: true});
        profileDir = mkdtempSync(join(tmpdir(), 'escalations-post-'));
        context = await chromium.launchPersistentContext(profileDir, {
            executablePath: CHROMIUM, headless: true, args: CHROMIUM_ARGS, viewport: {width: 800, height: 600},
        });
        page = context.pages()[0] ?? await context.newPage();
    } catch (err) {
        setupError = err instanceof Error ? err : new Error(String(err));
    }
});

afterAll(async () => {
    await context?.close();
    if (profileDir) {
        rmSync(profileDir, {recursive: true, force: true});
    }
});

/** Render one post, take its picture, and return what a reader sees: message lines, the
 * attachment's text, the buttons. */
async function show(state: State, theme: Theme): Promise<{lines: string[]; attachment: string; buttons: string[]}> {
    if (setupError) {
        throw setupError;
    }
    await page.setContent(postPage(POSTS[state], theme));
    const post = page.getByRole('main', {name: 'Escalation post'});
    await post.screenshot({path: join(ARTIFACTS, `post-${state}-${theme}.png`)});
    const text = await page.locator('.message').innerText();
    return {
        lines: text.split('\n').filter((line) => line.trim()),
        attachment: (await page.locator('.attachment-text').allInnerTexts()).join('\n'),
        buttons: await page.locator('.actions .action').allInnerTexts(),
    };
}

describe('The escalation post, drawn from the real server JSON', () => {
    for (const theme of THEMES) {
        it(`open, ${theme}: topic, state and owner first; at most 8 lines; the buttons`, async () => {
            const {lines, buttons} = await show('open', theme);
            expect(lines[0]).toMatch(
                /^Privacy\/Telemetry · Open · Owner: @jason\.blais \(default, not acknowledged yet\)$/);
            expect(lines.length).toBeLessThanOrEqual(8);
            expect(lines.filter((line) => line.includes('Owner:'))).toHaveLength(1);
            expect(lines).toContain('cc: CRO: nobody in this role');
            expect(buttons).toEqual(['Claim', 'Assign: choose an owner ▾', 'Resolve: responded',
                'Resolve: no response needed', 'Response tips']);
        });

        it(`claimed, ${theme}: one owner, Release instead of Claim`, async () => {
            const {lines, buttons} = await show('claimed', theme);
            expect(lines[0]).toBe('Privacy/Telemetry · Claimed · Owner: @katie.wiersgalla');
            expect(lines.join('\n')).not.toContain('(default)');
            expect(buttons).toEqual(['Assign: choose an owner ▾', 'Release', 'Resolve: responded',
                'Resolve: no response needed', 'Response tips']);
        });

        it(`resolved, ${theme}: one summary line, the outcome and the response, no buttons`, async () => {
            const {lines, attachment, buttons} = await show('resolved', theme);
            expect(lines).toHaveLength(1);
            expect(lines[0]).toMatch(/^Privacy\/Telemetry · Resolved · Escalated by /);
            expect(attachment).toContain('Outcome: responded, by @jason.blais (owner @katie.wiersgalla)');
            expect(attachment).toContain('Response: https://forum.mattermost.com/t/telemetry-question/12345');
            expect(buttons).toEqual([]);
        });
    }
});
