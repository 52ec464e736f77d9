/**
 * Test harness: a Redux store shaped like the host's (entities + our slice under `plugins-<id>`,
 * thunks supported), an IntlProvider with our English messages, and a scripted `fetch`.
 */
import {render, type RenderResult} from '@testing-library/react';
import React from 'react';
import {IntlProvider} from 'react-intl';
import {Provider} from 'react-redux';
import {applyMiddleware, combineReducers, createStore, type Middleware, type Reducer, type Store} from 'redux';
import {vi} from 'vitest';

import type {Post} from '@mattermost/types/posts';

import {en} from 'src/i18n/translations';
import reducer from 'src/reducer';
import {pluginStateKey, type StateWithPlugin} from 'src/selectors';

const thunk: Middleware = ({dispatch, getState}) => (next) => (action) =>
    (typeof action === 'function' ? (action as (d: unknown, g: unknown) => unknown)(dispatch, getState) : next(action));

export interface HostOptions {
    siteURL?: string;
    posts?: Post[];
}

export function makeStore({siteURL = 'http://localhost:8065', posts = []}: HostOptions = {}): Store<StateWithPlugin> {
    const entities = (state = {
        general: {config: {SiteURL: siteURL}},
        posts: {posts: Object.fromEntries(posts.map((p) => [p.id, p]))},
    }) => state;
    const reducers: Record<string, Reducer> = {entities, [pluginStateKey]: reducer as Reducer};
    return createStore(combineReducers(reducers), applyMiddleware(thunk)) as unknown as Store<StateWithPlugin>;
}

export function renderWithHost(ui: React.ReactElement, store: Store): RenderResult {
    return render(
        <Provider store={store}>
            <IntlProvider
                locale='en'
                messages={en}
            >
                {ui}
            </IntlProvider>
        </Provider>,
    );
}

export interface FetchCall {
    url: string;
    method: string;
    headers: Record<string, string>;
    body: unknown;
}

export type Reply = {status: number; body?: unknown; raw?: string} | Error | Promise<never>;

/**
 * Replaces `fetch` with a scripted one: `routes` maps "METHOD /path" to a reply (or a list of
 * replies, one per call). Records every call.
 */
export function scriptFetch(routes: Record<string, Reply | Reply[]>): FetchCall[] {
    const calls: FetchCall[] = [];
    const queues = new Map(Object.entries(routes).map(([k, v]) => [k, Array.isArray(v) ? [...v] : [v]]));
    vi.stubGlobal('fetch', vi.fn((url: string, init: RequestInit = {}) => {
        const method = (init.method ?? 'GET').toUpperCase();
        const headers = {...(init.headers as Record<string, string> | undefined)};
        calls.push({url, method, headers, body: typeof init.body === 'string' ? JSON.parse(init.body) as unknown : undefined});
        const queue = queues.get(`${method} ${url}`);
        const reply = queue && (queue.length > 1 ? queue.shift() : queue[0]);
        if (!reply) {
            return Promise.resolve(new Response(JSON.stringify({error: 'no route'}), {status: 404}));
        }
        if (reply instanceof Error) {
            return Promise.reject(reply);
        }
        if (reply instanceof Promise) {
            return reply;
        }
        const text = reply.raw ?? (reply.body === undefined ? '' : JSON.stringify(reply.body));
        return Promise.resolve(new Response(text, {status: reply.status, headers: {'Content-Type': 'application/json'}}));
    }));
    return calls;
}
