/**
 * Serves the real-server host page (`host/live_host.tsx`) and passes everything else to a real
 * Mattermost server: one Node HTTP server on 127.0.0.1 that answers
 *
 * - `/` with the host page (logged in as `?as=<username>`, else `defaultUser`; `?theme=onyx` for
 *   the dark theme), `/static/host.js` with the host bundle built for one host of `hosts.ts`, and
 *   `/static/plugins/main.js` with the plugin's built `dist/main.js` (read at every request);
 * - every other path, WebSocket upgrades included, by forwarding it to the server unchanged, but
 *   for a WebSocket's `Origin`, which becomes the server's own (it accepts no other).
 *
 * The page and the API share one origin, as they do under Mattermost, so the session cookies, the
 * CSRF token and the plugin's `SiteURL`-based requests work as in production.
 */
import {build} from 'esbuild';
import {readFileSync} from 'node:fs';
import {createServer, request, type IncomingMessage, type Server, type ServerResponse} from 'node:http';
import type {AddressInfo} from 'node:net';
import {connect} from 'node:net';
import {dirname, join, resolve} from 'node:path';
import type {Duplex} from 'node:stream';
import {fileURLToPath} from 'node:url';

import type {HostSpec} from './hosts';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
export const MAIN_JS = join(ROOT, 'dist', 'main.js');

export interface LiveHostOptions {
    /** The Mattermost server, e.g. `http://127.0.0.1:8065`. */
    mattermostUrl: string;
    host: HostSpec;
    /** The provisioned accounts' password; without it the page uses the browser's own session. */
    password: string | null;
    defaultUser: string;
    team: string;
    channels: {community: string; escalations: string};
    /** 0 = any free port. */
    port: number;
}

export interface LiveHost {
    url: string;
    close(): Promise<void>;
}

const CSS = `
* { box-sizing: border-box; }
body { margin: 0; font: 14px/20px 'Open Sans', sans-serif; color: #3f4350; }
.top { padding: 8px 20px; font-size: 12px; background: #1e325c; color: #fff; }
.columns { display: grid; grid-template-columns: 1fr 1.4fr; min-height: calc(100vh - 36px); }
.channel { border-right: 1px solid rgba(128,128,128,.3); min-width: 0; }
.channel-header { margin: 0; padding: 12px 20px; font-size: 16px; font-weight: 600; border-bottom: 1px solid rgba(128,128,128,.3); }
.post { display: flex; gap: 12px; padding: 10px 20px; }
.post--system { opacity: .8; }
.post-body { flex: 1; min-width: 0; } .message p { margin: 2px 0 6px; }
.bot { font-size: 10px; font-weight: 600; padding: 0 4px; margin-left: 4px; border-radius: 2px; background: rgba(128,128,128,.16); }
a { color: #386fe5; text-decoration: none; }
code { font: 12px/16px Menlo, monospace; background: rgba(128,128,128,.12); border-radius: 3px; padding: 1px 4px; }
blockquote { margin: 4px 0 8px; padding: 0 0 0 12px; border-left: 4px solid rgba(128,128,128,.3); opacity: .8; }
.attachment { margin-top: 8px; padding: 6px 12px 12px; border: 1px solid rgba(128,128,128,.3); border-left: 4px solid; border-radius: 4px; }
.actions { display: flex; flex-wrap: wrap; gap: 8px; margin-top: 6px; }
.action { font: 600 12px 'Open Sans', sans-serif; padding: 6px 12px; border-radius: 4px; cursor: pointer;
  border: 1px solid rgba(128,128,128,.4); background: transparent; color: #386fe5; }
.action.primary { background: #1c58d9; border-color: #1c58d9; color: #fff; }
.action.good { border-color: #3db887; color: #1d7a55; }
.post-actions { position: relative; }
.post-actions > button { border: none; background: transparent; color: inherit; font-size: 18px; cursor: pointer; }
.menu { position: absolute; right: 0; top: 28px; z-index: 10; margin: 0; padding: 8px 0; list-style: none; min-width: 180px;
  background: #fff; color: #3f4350; border: 1px solid rgba(63,67,80,.16); border-radius: 4px; box-shadow: 0 8px 24px rgba(0,0,0,.12); }
.menu li { padding: 6px 16px; cursor: pointer; } .menu li:hover { background: rgba(63,67,80,.08); }
`;

function page(options: LiveHostOptions, url: URL): string {
    const user = url.searchParams.get('as') ?? options.defaultUser;
    const data = {
        login: options.password === null ? null : {username: user, password: options.password},
        team: options.team,
        channels: options.channels,
        theme: url.searchParams.get('theme') ?? 'denim',
    };
    // `<` escaped so nothing in the data can end the script element.
    const json = JSON.stringify(data).replace(/</g, '\\u003c');
    return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Community Escalations: test host</title>
<style>${CSS}</style></head><body><div id="root"></div>
<script>window.__LIVE_DATA__ = ${json};</script>
<script src="/static/host.js"></script>
<script src="/static/plugins/main.js"></script>
</body></html>`;
}

async function hostBundle(host: HostSpec): Promise<string> {
    const result = await build({
        entryPoints: [join(ROOT, 'test/browser/host/live_host.tsx')],
        bundle: true, write: false, format: 'iife', platform: 'browser', jsx: 'transform', minify: true,
        alias: host.alias, define: {'process.env.NODE_ENV': '"production"'}, logLevel: 'warning',
    });
    return result.outputFiles[0].text;
}

function forward(target: URL, req: IncomingMessage, res: ServerResponse): void {
    const upstream = request({
        host: target.hostname, port: target.port, method: req.method, path: req.url, headers: req.headers,
    }, (answer) => {
        res.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(res);
    });
    upstream.on('error', (err) => {
        res.writeHead(502, {'Content-Type': 'text/plain'});
        res.end(`Mattermost at ${target.origin} did not answer: ${err.message}`);
    });
    req.pipe(upstream);
}

export async function startLiveHost(options: LiveHostOptions): Promise<LiveHost> {
    const target = new URL(options.mattermostUrl);
    const hostJs = await hostBundle(options.host);
    const server: Server = createServer((req, res) => {
        const url = new URL(req.url ?? '/', 'http://page');
        const send = (type: string, body: string) => {
            res.writeHead(200, {'Content-Type': type, 'Cache-Control': 'no-store'});
            res.end(body);
        };
        if (req.method === 'GET' && url.pathname === '/') {
            send('text/html; charset=utf-8', page(options, url));
        } else if (req.method === 'GET' && url.pathname === '/static/host.js') {
            send('text/javascript', hostJs);
        } else if (req.method === 'GET' && url.pathname === '/static/plugins/main.js') {
            send('text/javascript', readFileSync(MAIN_JS, 'utf8'));
        } else if (url.pathname === '/favicon.ico') {
            res.writeHead(204);
            res.end();
        } else {
            forward(target, req, res);
        }
    });
    // WebSocket: replay the upgrade request to the server, then join the two sockets (closed with
    // the server: upgraded sockets are no longer the HTTP server's).
    const upgraded = new Set<Duplex>();
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
        const upstream = connect(Number(target.port), target.hostname, () => {
            const lines = [`${req.method} ${req.url} HTTP/1.1`];
            for (let i = 0; i < req.rawHeaders.length; i += 2) {
                // The server accepts a WebSocket only from its SiteURL's origin; this page stands in
                // for it (as a reverse proxy at the SiteURL would), so the origin is the server's.
                const origin = req.rawHeaders[i].toLowerCase() === 'origin';
                lines.push(`${req.rawHeaders[i]}: ${origin ? target.origin : req.rawHeaders[i + 1]}`);
            }
            upstream.write(`${lines.join('\r\n')}\r\n\r\n`);
            upstream.write(head);
            upstream.pipe(socket);
            socket.pipe(upstream);
        });
        upgraded.add(socket).add(upstream);
        upstream.on('error', () => socket.destroy());
        socket.on('error', () => upstream.destroy());
        upstream.on('close', () => upgraded.delete(upstream));
        socket.on('close', () => upgraded.delete(socket));
    });
    await new Promise<void>((done) => server.listen(options.port, '127.0.0.1', done));
    const {port} = server.address() as AddressInfo;
    return {
        url: `http://127.0.0.1:${port}`,
        close: () => new Promise<void>((done) => {
            upgraded.forEach((socket) => socket.destroy());
            server.closeAllConnections();
            server.close(() => done());
        }),
    };
}
