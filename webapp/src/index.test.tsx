import {render, screen} from '@testing-library/react';
import React from 'react';
import {IntlProvider} from 'react-intl';
import type {Reducer} from 'redux';

import {ActionTypes} from 'src/action_types';
import {manifest} from 'src/manifest';
import {pluginState} from 'src/selectors';
import type {PluginRegistry, WebSocketMessage} from 'src/types/registry';

import {makeEscalation, makePost, POST_ID, topicsResponse} from 'test/fixtures';
import {makeStore, scriptFetch} from 'test/harness';

interface Registered {
    menu: {text: React.ReactNode; action: (postId: string) => void; filter?: (postId: string) => boolean} | null;
    header: {icon: React.ReactNode; action: (channel: {id: string}) => void; text: React.ReactNode; tooltip: React.ReactNode} | null;
    roots: number;
    reducers: Reducer[];
    ws: Record<string, (msg: WebSocketMessage) => void>;
    reconnect: Array<() => void>;
    translations: Array<(locale: string) => Record<string, string> | undefined>;
}

async function loadPlugin(store: ReturnType<typeof makeStore>) {
    const got: Registered = {menu: null, header: null, roots: 0, reducers: [], ws: {}, reconnect: [], translations: []};
    const registry: PluginRegistry = {
        registerPostDropdownMenuAction: (text, action, filter) => {
            got.menu = {text, action, filter};
            return 'menu-1';
        },
        registerChannelHeaderButtonAction: (icon, action, text, tooltip) => {
            got.header = {icon, action, text, tooltip};
            return 'header-1';
        },
        registerRootComponent: () => {
            got.roots += 1;
            return 'root-1';
        },
        registerReducer: (reducer) => void got.reducers.push(reducer),
        registerWebSocketEventHandler: (event, handler) => {
            got.ws[event] = handler;
        },
        registerReconnectHandler: (handler) => void got.reconnect.push(handler),
        registerTranslations: (fn) => void got.translations.push(fn),
    };
    const registerPlugin = vi.fn((_id: string, plugin: {initialize: (r: PluginRegistry, s: unknown) => void}) => {
        plugin.initialize(registry, store);
    });
    window.registerPlugin = registerPlugin;
    vi.resetModules();
    await import('src/index');
    return {got, registerPlugin};
}

describe('plugin registration', () => {
    it('registers under the manifest id with every hook the issue asks for', async () => {
        const store = makeStore({posts: [makePost(), makePost({id: 's'.repeat(26), type: 'system_join_channel'})]});
        const {got, registerPlugin} = await loadPlugin(store);
        expect(registerPlugin).toHaveBeenCalledWith(manifest.id, expect.anything());
        expect(got.roots).toBe(1);
        expect(got.reducers).toHaveLength(1);
        expect(Object.keys(got.ws)).toEqual([`custom_${manifest.id}_escalation_updated`]);
        expect(got.reconnect).toHaveLength(1);
        expect(got.translations[0]('en')?.['escalations.menu.escalate']).toBe('Escalate');
        expect(got.translations[0]('fr-CA')?.['escalations.menu.escalate']).toBe('Escalate');

        render(<IntlProvider locale='en'>{got.menu!.text}</IntlProvider>);
        expect(screen.getByText('Escalate')).toBeInTheDocument();

        expect(got.menu!.filter!(POST_ID)).toBe(true);
        expect(got.menu!.filter!('s'.repeat(26))).toBe(false);
        expect(got.menu!.filter!('missing')).toBe(false);
    });

    it('the menu action opens the modal for that post id and loads the topics', async () => {
        const store = makeStore({posts: [makePost()]});
        const calls = scriptFetch({'GET /plugins/community-escalations/api/v1/topics': {status: 200, body: topicsResponse}});
        const {got} = await loadPlugin(store);
        got.menu!.action(POST_ID);
        expect(pluginState(store.getState()).modal).toEqual({open: true, postId: POST_ID});
        await vi.waitFor(() => expect(pluginState(store.getState()).topics.status).toBe('loaded'));
        expect(calls).toHaveLength(1);
    });

    it('the channel-header button opens the modal for a link, from that channel', async () => {
        const store = makeStore();
        scriptFetch({'GET /plugins/community-escalations/api/v1/topics': {status: 200, body: topicsResponse}});
        const {got} = await loadPlugin(store);
        render(
            <IntlProvider locale='en'>
                <span data-testid='text'>{got.header!.text}</span>
                <span data-testid='tooltip'>{got.header!.tooltip}</span>
                {got.header!.icon}
            </IntlProvider>,
        );
        expect(screen.getByTestId('text')).toHaveTextContent(/^Escalate a link$/);
        expect(screen.getByTestId('tooltip')).toHaveTextContent('raised outside Mattermost');
        expect(screen.getByTestId('escalate-link-icon')).toBeInTheDocument();
        got.header!.action({id: 'c'.repeat(26)});
        expect(pluginState(store.getState()).modal).toEqual({open: true, postId: null, link: {channelId: 'c'.repeat(26)}});
        await vi.waitFor(() => expect(pluginState(store.getState()).topics.status).toBe('loaded'));
    });

    it('hides Escalate on escalation posts this client has seen', async () => {
        const escalationPost = makePost({id: 'e'.repeat(26)});
        const store = makeStore({posts: [escalationPost]});
        const {got} = await loadPlugin(store);
        expect(got.menu!.filter!(escalationPost.id)).toBe(true);
        store.dispatch({type: ActionTypes.ESCALATION_RECEIVED, escalation: makeEscalation()});
        expect(got.menu!.filter!(escalationPost.id)).toBe(false);
    });

    it('re-reads the shown escalation after a reconnect', async () => {
        const store = makeStore();
        store.dispatch({type: ActionTypes.SUBMIT_SUCCESS, escalation: makeEscalation(), created: true});
        scriptFetch({'GET /plugins/community-escalations/api/v1/escalations/esc1': {status: 200, body: makeEscalation({state: 'resolved'})}});
        const {got} = await loadPlugin(store);
        got.reconnect[0]();
        await vi.waitFor(() => expect(pluginState(store.getState()).escalations.esc1.state).toBe('resolved'));
    });
});
