/**
 * The stub backend for the real-browser test: one Node HTTP server on 127.0.0.1 that serves the
 * host page, the host bundle, the plugin's built dist/main.js, and the plugin API routes under the
 * SiteURL subpath (`/chat/plugins/<id>/api/v1/...`) with scripted answers. Records every API call.
 */
import {createServer, type IncomingMessage, type Server} from 'node:http';
import type {AddressInfo} from 'node:net';

export interface RecordedRequest {
    method: string;
    path: string;
    headers: IncomingMessage['headers'];
    body: string;
}

export interface Scripted {
    status: number;
    body: unknown;
    delayMs?: number;
}

export interface StubServer {
    url: string;
    requests: RecordedRequest[];
    /** Queue answers for "METHOD /path"; the last one repeats. */
    script(route: string, ...answers: Scripted[]): void;
    close(): Promise<void>;
}

export const CSRF_TOKEN = 'csrf-token-from-host-cookie';

export interface Assets {
    html: string;
    hostJs: string;
    pluginJs: () => string;
}

export async function startStubServer(assets: Assets): Promise<StubServer> {
    const requests: RecordedRequest[] = [];
    const answers = new Map<string, Scripted[]>();

    const server: Server = createServer((req, res) => {
        const chunks: Buffer[] = [];
        req.on('data', (chunk: Buffer) => chunks.push(chunk));
        req.on('end', () => {
            const path = (req.url ?? '/').split('?')[0];
            const method = req.method ?? 'GET';
            const send = (status: number, type: string, body: string, headers: Record<string, string> = {}) => {
                res.writeHead(status, {'Content-Type': type, 'Cache-Control': 'no-store', ...headers});
                res.end(body);
            };
            if (method === 'GET' && path === '/chat/channels/ask-anything') {
                send(200, 'text/html; charset=utf-8', assets.html, {'Set-Cookie': `MMCSRF=${CSRF_TOKEN}; Path=/`});
                return;
            }
            if (path === '/favicon.ico') {
                res.writeHead(204);
                res.end();
                return;
            }
            if (method === 'GET' && path === '/chat/static/host.js') {
                send(200, 'text/javascript', assets.hostJs);
                return;
            }
            if (method === 'GET' && path === '/chat/static/plugins/main.js') {
                send(200, 'text/javascript', assets.pluginJs());
                return;
            }
            if (path.startsWith('/chat/plugins/')) {
                requests.push({method, path, headers: req.headers, body: Buffer.concat(chunks).toString('utf8')});
                const queue = answers.get(`${method} ${path}`);
                const answer = queue && (queue.length > 1 ? queue.shift() : queue[0]);
                const reply = answer ?? {status: 404, body: {error: 'Not found.'}};
                setTimeout(() => send(reply.status, 'application/json', JSON.stringify(reply.body)), reply.delayMs ?? 0);
                return;
            }
            send(404, 'text/plain', 'not found');
        });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const {port} = server.address() as AddressInfo;
    return {
        url: `http://127.0.0.1:${port}`,
        requests,
        script(route, ...list) {
            answers.set(route, [...list]);
        },
        close: () => new Promise<void>((resolve) => {
            server.closeAllConnections();
            server.close(() => resolve());
        }),
    };
}
