/**
 * A small stand-in for the Mattermost webapp, for the real-browser test. Built by the test with
 * esbuild (never committed as output) and served next to the plugin's dist/main.js.
 *
 * Provides what the real host gives a plugin bundle: the globals React, ReactDOM, Redux, ReactRedux
 * and ReactIntl on `window`; `window.registerPlugin`; a registry with the methods this plugin uses;
 * a Redux store with thunks, `entities.general.config.SiteURL` and posts, and plugin reducers mounted
 * at `plugins-<id>`; a channel view whose posts have a "Message actions" menu listing the plugin's
 * items (filter and action called with the post id, as the host does); root components rendered
 * with the theme inside an IntlProvider fed by `registerTranslations`; and `window.__host.emit` to
 * deliver WebSocket events.
 */
import React, {useState} from 'react';
import ReactDOM from 'react-dom';
import {createRoot} from 'react-dom/client';
import * as ReactIntl from 'react-intl';
import * as ReactRedux from 'react-redux';
import * as Redux from 'redux';

type Reducer = Redux.Reducer;
type Handler = (msg: {event: string; data: unknown}) => void;
interface MenuItem {
    id: string;
    text: React.ReactNode;
    action: (postId: string) => void;
    filter?: (postId: string) => boolean;
}
interface HostPost {
    id: string;
    user_id: string;
    channel_id: string;
    message: string;
    type: string;
    props: Record<string, unknown>;
    create_at: number;
    delete_at: number;
    pending_post_id: string;
    username: string;
}

const w = window as unknown as Record<string, unknown>;
w.React = React;
w.ReactDOM = ReactDOM;
w.Redux = Redux;
w.ReactRedux = ReactRedux;
w.ReactIntl = ReactIntl;

const DENIM = {
    centerChannelBg: '#ffffff', centerChannelColor: '#3f4350', buttonBg: '#1c58d9', buttonColor: '#ffffff',
    linkColor: '#386fe5', errorTextColor: '#d24b4e', onlineIndicator: '#3db887',
};

const posts: HostPost[] = (window as unknown as {__HOST_POSTS__: HostPost[]}).__HOST_POSTS__;
const siteURL = `${window.location.origin}/chat`;

const entities = (state = {
    general: {config: {SiteURL: siteURL}},
    posts: {posts: Object.fromEntries(posts.map((p) => [p.id, p]))},
}) => state;

const pluginReducers: Record<string, Reducer> = {};
const thunk: Redux.Middleware = ({dispatch, getState}) => (next) => (action) =>
    (typeof action === 'function' ? (action as (d: unknown, g: unknown) => unknown)(dispatch, getState) : next(action));
const store = Redux.createStore(Redux.combineReducers({entities}), Redux.applyMiddleware(thunk));

const registered = {
    menu: [] as MenuItem[],
    roots: [] as Array<React.ComponentType<Record<string, unknown>>>,
    ws: {} as Record<string, Handler[]>,
    reconnect: [] as Array<() => void>,
    translations: [] as Array<(locale: string) => Record<string, string> | undefined>,
    pluginId: '',
};

function makeRegistry(pluginId: string) {
    let n = 0;
    return {
        registerPostDropdownMenuAction(text: React.ReactNode, action: MenuItem['action'], filter?: MenuItem['filter']) {
            const id = `${pluginId}-menu-${++n}`;
            registered.menu.push({id, text, action, filter});
            return id;
        },
        registerRootComponent(component: React.ComponentType<Record<string, unknown>>) {
            registered.roots.push(component);
            render();
            return `${pluginId}-root-${++n}`;
        },
        registerReducer(reducer: Reducer) {
            pluginReducers[`plugins-${pluginId}`] = reducer;
            store.replaceReducer(Redux.combineReducers({entities, ...pluginReducers}));
        },
        registerWebSocketEventHandler(event: string, handler: Handler) {
            (registered.ws[event] ??= []).push(handler);
        },
        registerReconnectHandler(handler: () => void) {
            registered.reconnect.push(handler);
        },
        registerTranslations(fn: (locale: string) => Record<string, string> | undefined) {
            registered.translations.push(fn);
            render();
        },
    };
}

w.registerPlugin = (pluginId: string, plugin: {initialize: (registry: unknown, store: unknown) => void}) => {
    registered.pluginId = pluginId;
    plugin.initialize(makeRegistry(pluginId), store);
    render();
};

function PostActions({post}: {post: HostPost}) {
    const [open, setOpen] = useState(false);
    const items = open ? registered.menu.filter((item) => !item.filter || item.filter(post.id)) : [];
    return (
        <span className='post-actions'>
            <button
                type='button'
                aria-label={`Message actions for ${post.id}`}
                aria-expanded={open}
                data-post-id={post.id}
                onClick={() => setOpen(!open)}
            >
                {'⋯'}
            </button>
            {open ? (
                <ul
                    role='menu'
                    aria-label='Message actions'
                    className='menu'
                >
                    {items.length === 0 ? <li className='menu-empty'>{'No actions'}</li> : null}
                    {items.map((item) => (
                        <li
                            key={item.id}
                            role='menuitem'
                            tabIndex={-1}
                            onClick={() => {
                                setOpen(false);
                                item.action(post.id);
                            }}
                        >
                            {item.text}
                        </li>
                    ))}
                </ul>
            ) : null}
        </span>
    );
}

function App() {
    const messages = Object.assign({}, ...registered.translations.map((fn) => fn('en') ?? {})) as Record<string, string>;
    return (
        <ReactRedux.Provider store={store}>
            <ReactIntl.IntlProvider
                locale='en'
                messages={messages}
            >
                <div className='channel'>
                    <header className='channel-header'>{'~ask-anything'}</header>
                    {posts.map((post) => (
                        <div
                            key={post.id}
                            className={`post${post.type ? ' post--system' : ''}`}
                            data-testid={`post-${post.id}`}
                        >
                            <div className='post-body'>
                                <strong>{post.username}</strong>
                                <p>{post.message}</p>
                            </div>
                            <PostActions post={post}/>
                        </div>
                    ))}
                </div>
                {registered.roots.map((Root, i) => (
                    <Root
                        key={i}
                        theme={DENIM}
                    />
                ))}
            </ReactIntl.IntlProvider>
        </ReactRedux.Provider>
    );
}

const root = createRoot(document.getElementById('root')!);
function render() {
    root.render(<App/>);
}
render();

w.__host = {
    store,
    registered,
    emit(msg: {event: string; data: unknown}) {
        for (const handler of registered.ws[msg.event] ?? []) {
            handler(msg);
        }
    },
    reconnect() {
        registered.reconnect.forEach((fn) => fn());
    },
};
