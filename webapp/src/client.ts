/**
 * The one HTTP client for the plugin's server side (`docs/http-api.md`).
 *
 * Every request goes through `fetch` with options wrapped by `Client4.getOptions`, so it carries what
 * the host's own requests carry: `X-Requested-With`, cookies (`credentials: 'include'`) and, for
 * non-GET requests, the `X-CSRF-Token` read from the `MMCSRF` cookie. Without that token Mattermost
 * forwards a cookie-authenticated POST *unauthenticated* and the server answers 401.
 *
 * Failures are thrown as `ClientError`: `status` is the HTTP status (0 when the server was not reached
 * or answered something that is not our JSON) and `message` is the server's `{"error"}` text verbatim,
 * or "" when there was none, so the UI can show the server's words as sent.
 */
import {Client4} from 'mattermost-redux/client';

import type {Options} from '@mattermost/types/client4';

import type {
    CreateEscalationRequest,
    CreateEscalationResult,
    CreateLinkEscalationRequest,
    Escalation,
    TopicsResponse,
} from 'src/types/api';

export class ClientError extends Error {
    readonly status: number;
    readonly url: string;

    constructor(status: number, message: string, url: string) {
        super(message);
        this.name = 'ClientError';
        this.status = status;
        this.url = url;
    }
}

/**
 * The plugin's URL prefix: the path of the SiteURL (Mattermost may live under a subpath such as
 * `/chat`) followed by `/plugins/<id>`. Relative, so it works from whatever origin served the page.
 */
export function pluginBasePath(siteURL: string | undefined, pluginId: string): string {
    let subpath = '';
    if (siteURL) {
        try {
            subpath = new URL(siteURL).pathname;
        } catch {
            subpath = '';
        }
    }
    subpath = subpath.replace(/\/+$/, '');
    return `${subpath}/plugins/${encodeURIComponent(pluginId)}`;
}

interface RawResponse {
    status: number;
    body: unknown;
}

async function request(url: string, init: Options): Promise<RawResponse> {
    let response: Response;
    try {
        response = await fetch(url, Client4.getOptions(init));
    } catch (err) {
        throw new ClientError(0, '', url);
    }
    let body: unknown = null;
    const text = await response.text();
    if (text) {
        try {
            body = JSON.parse(text);
        } catch {
            body = null;
        }
    }
    if (!response.ok) {
        throw new ClientError(response.status, errorMessageOf(body), url);
    }
    if (body === null) {
        throw new ClientError(response.status, '', url);
    }
    return {status: response.status, body};
}

function errorMessageOf(body: unknown): string {
    if (body && typeof body === 'object' && 'error' in body) {
        const message = body.error;
        if (typeof message === 'string') {
            return message;
        }
    }
    return '';
}

function isObject(value: unknown): value is Record<string, unknown> {
    return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Minimal shape checks: enough that the UI never dereferences a missing field. */
function asTopics(body: unknown, url: string): TopicsResponse {
    if (!isObject(body) || !Array.isArray(body.topics)) {
        throw new ClientError(0, '', url);
    }
    return body as unknown as TopicsResponse;
}

function asEscalation(body: unknown, url: string): Escalation {
    if (!isObject(body) || typeof body.id !== 'string') {
        throw new ClientError(0, '', url);
    }
    return body as unknown as Escalation;
}

export interface EscalationsClient {
    getTopics(): Promise<TopicsResponse>;
    createEscalation(req: CreateEscalationRequest): Promise<CreateEscalationResult>;
    createLinkEscalation(req: CreateLinkEscalationRequest): Promise<CreateEscalationResult>;
    getEscalation(id: string): Promise<Escalation>;
}

/** A client for the plugin mounted at `basePath` (see `pluginBasePath`). */
export function createClient(basePath: string): EscalationsClient {
    const api = `${basePath}/api/v1`;
    return {
        async getTopics() {
            const url = `${api}/topics`;
            const {body} = await request(url, {method: 'get'});
            return asTopics(body, url);
        },
        async createEscalation(req) {
            const url = `${api}/escalations`;
            const payload: CreateEscalationRequest = {post_id: req.post_id, topic: req.topic};
            if (req.note) {
                payload.note = req.note;
            }
            if (req.channel_id) {
                payload.channel_id = req.channel_id;
            }
            const {status, body} = await request(url, {
                method: 'post',
                headers: {'Content-Type': 'application/json'},
                body: JSON.stringify(payload),
            });
            return {escalation: asEscalation(body, url), created: status === 201};
        },
        async createLinkEscalation(req) {
            const url = `${api}/escalations/links`;
            const {status, body} = await request(url, {
                method: 'post',
                headers: {'Content-Type': 'application/json'},
                body: JSON.stringify(req),
            });
            return {escalation: asEscalation(body, url), created: status === 201};
        },
        async getEscalation(id) {
            const url = `${api}/escalations/${encodeURIComponent(id)}`;
            const {body} = await request(url, {method: 'get'});
            return asEscalation(body, url);
        },
    };
}
