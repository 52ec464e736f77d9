/**
 * A small stand-in for the Mattermost webapp, for the real-browser test. Built by the test with
 * esbuild once per supported server: `react`, `react-dom`, `redux`, `react-redux` and `react-intl`
 * are aliased to the exact versions that server's webapp ships (`test/browser/hosts.ts`), so the
 * plugin bundle runs against the same libraries it meets in production. Never committed as output.
 *
 * Where the plugin relies on the real host, this page behaves the same way:
 * - the globals React, ReactDOM, Redux, ReactRedux and ReactIntl on `window`, `window.registerPlugin`,
 *   and a registry with the methods this plugin uses;
 * - `window.basename` (the SiteURL subpath) and `window.WebappUtils.browserHistory`, a `history` v4
 *   browser history created with that basename, so `push('/team/pl/x')` lands on `/chat/team/pl/x`;
 * - a Redux store with thunks, `entities.general.config.SiteURL`, channels, posts, the posts'
 *   authors in `entities.users.profiles` (with `is_bot`), and plugin reducers mounted at
 *   `plugins-<id>`;
 * - channel-header buttons (`registerChannelHeaderButtonAction`) in the channel header, each an icon
 *   button named by its dropdown text, whose action gets the current channel;
 * - plugin menu items in each post's "Message actions" menu, with `filter` and `action` called with
 *   the post id; no such menu on system messages; plugin items left out in shared channels unless
 *   the `EnableSharedChannelsPlugins` feature flag is on;
 * - root components rendered with the theme inside an IntlProvider fed by `registerTranslations`,
 *   each inside an error boundary that replaces the component with an error and a "Refresh"
 *   button (which renders it again) when it throws.
 *
 * `window.__host` lets the test deliver WebSocket events, reconnect, switch the theme, and see which
 * keys reached the document (where the real webapp listens for its shortcuts).
 */
import {createBrowserHistory} from 'history';
import React, {useState} from 'react';
import ReactDOM from 'react-dom';
import * as ReactIntl from 'react-intl';
import * as ReactRedux from 'react-redux';
import * as Redux from 'redux';

type Reducer = Redux.Reducer;
type Handler = (msg: {event: string; data: unknown}) => void;
type Theme = Record<string, string>;
interface MenuItem {
    id: string;
    text: React.ReactNode;
    action: (postId: string) => void;
    filter?: (postId: string) => boolean;
}
interface HeaderButton {
    id: string;
    icon: React.ReactNode;
    action: (channel: HostChannel) => void;
    dropdownText: React.ReactNode;
    tooltipText: React.ReactNode;
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
    author_is_bot?: boolean;
}
interface HostChannel {
    id: string;
    name: string;
    display_name: string;
    shared: boolean;
}
interface HostData {
    posts: HostPost[];
    channels: HostChannel[];
    basename: string;
    featureFlags: Record<string, string>;
}

const w = window as unknown as Record<string, unknown>;
w.React = React;
w.ReactDOM = ReactDOM;
w.Redux = Redux;
w.ReactRedux = ReactRedux;
w.ReactIntl = ReactIntl;

/** Mattermost's default (Denim) and dark (Onyx) themes, the keys a plugin reads. */
const THEMES: Record<string, Theme> = {
    denim: {
        type: 'Denim', centerChannelBg: '#ffffff', centerChannelColor: '#3f4350', buttonBg: '#1c58d9', buttonColor: '#ffffff',
        linkColor: '#386fe5', errorTextColor: '#d24b4e', onlineIndicator: '#3db887',
    },
    onyx: {
        type: 'Onyx', centerChannelBg: '#191b1f', centerChannelColor: '#e3e4e8', buttonBg: '#4a7ce8', buttonColor: '#ffffff',
        linkColor: '#5d89ea', errorTextColor: '#da6c6e', onlineIndicator: '#3db887',
    },
};

const data = (window as unknown as {__HOST_DATA__: HostData}).__HOST_DATA__;
const {posts, channels, basename} = data;
const siteURL = `${window.location.origin}${basename}`;

// What the real webapp sets up before any plugin loads (root.html and utils/browser_history).
w.basename = basename;
const browserHistory = createBrowserHistory({basename});
w.WebappUtils = {browserHistory};

const featureFlagConfig = Object.fromEntries(Object.entries(data.featureFlags).map(([k, v]) => [`FeatureFlag${k}`, v]));
const entities = (state = {
    general: {config: {SiteURL: siteURL, ...featureFlagConfig}},
    channels: {channels: Object.fromEntries(channels.map((c) => [c.id, c]))},
    posts: {posts: Object.fromEntries(posts.map((p) => [p.id, p]))},
    users: {profiles: Object.fromEntries(posts.map((p) => [p.user_id, {id: p.user_id, username: p.username, is_bot: Boolean(p.author_is_bot)}]))},
}) => state;

const pluginReducers: Record<string, Reducer> = {};
const thunk: Redux.Middleware = ({dispatch, getState}) => (next) => (action) =>
    (typeof action === 'function' ? (action as (d: unknown, g: unknown) => unknown)(dispatch, getState) : next(action));
const store = Redux.createStore(Redux.combineReducers({entities}), Redux.applyMiddleware(thunk));

const registered = {
    menu: [] as MenuItem[],
    header: [] as HeaderButton[],
    roots: [] as Array<React.ComponentType<Record<string, unknown>>>,
    ws: {} as Record<string, Handler[]>,
    reconnect: [] as Array<() => void>,
    translations: [] as Array<(locale: string) => Record<string, string> | undefined>,
    pluginId: '',
};
let theme: Theme = THEMES.denim;

function makeRegistry(pluginId: string) {
    let n = 0;
    return {
        registerPostDropdownMenuAction(text: React.ReactNode, action: MenuItem['action'], filter?: MenuItem['filter']) {
            const id = `${pluginId}-menu-${++n}`;
            registered.menu.push({id, text, action, filter});
            return id;
        },
        registerChannelHeaderButtonAction(icon: React.ReactNode, action: HeaderButton['action'], dropdownText: React.ReactNode, tooltipText: React.ReactNode) {
            const id = `${pluginId}-header-${++n}`;
            registered.header.push({id, icon, action, dropdownText, tooltipText});
            render();
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

/** Like the host's plugin error boundary: the failed component gives way to an error and "Refresh". */
class PluginErrorBoundary extends React.Component<{pluginId: string; children: React.ReactNode}, {error: string | null}> {
    public override state = {error: null as string | null};

    public static getDerivedStateFromError(error: unknown) {
        return {error: String(error)};
    }

    public override render() {
        if (this.state.error === null) {
            return this.props.children;
        }
        return (
            <div
                role='alert'
                data-testid='plugin-error'
                data-error={this.state.error}
            >
                {`An error occurred in the ${this.props.pluginId} plugin. `}
                <button
                    type='button'
                    onClick={() => this.setState({error: null})}
                >
                    {'Refresh'}
                </button>
            </div>
        );
    }
}

function isSystemMessage(post: HostPost): boolean {
    return post.type !== '' && post.type.startsWith('system_');
}

function pluginItemsVisible(post: HostPost): boolean {
    const channel = channels.find((c) => c.id === post.channel_id);
    return !channel?.shared || data.featureFlags.EnableSharedChannelsPlugins === 'true';
}

function MessageActions({post}: {post: HostPost}) {
    const [open, setOpen] = useState(false);
    if (isSystemMessage(post)) {
        return null;
    }
    const items = open && pluginItemsVisible(post) ? registered.menu.filter((item) => !item.filter || item.filter(post.id)) : [];
    return (
        <span className='post-actions'>
            <button
                type='button'
                aria-label={`Message actions for ${post.id}`}
                title='Message actions'
                aria-expanded={open}
                data-post-id={post.id}
                onClick={() => setOpen(!open)}
            >
                {'⊞'}
            </button>
            {open ? (
                <ul
                    role='menu'
                    aria-label='Message actions'
                    className='menu'
                >
                    {items.length === 0 ? (
                        <li
                            role='none'
                            className='menu-empty'
                        >
                            {'No actions'}
                        </li>
                    ) : null}
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

function Route() {
    const [path, setPath] = useState(browserHistory.location.pathname);
    React.useEffect(() => browserHistory.listen((location) => setPath(location.pathname)), []);
    return <span data-testid='route'>{path}</span>;
}

function App() {
    const messages = Object.assign({}, ...registered.translations.map((fn) => fn('en') ?? {})) as Record<string, string>;
    return (
        <ReactRedux.Provider store={store}>
            <ReactIntl.IntlProvider
                locale='en'
                messages={messages}
            >
                <main
                    className='channel'
                    style={{background: theme.centerChannelBg, color: theme.centerChannelColor}}
                >
                    <h1 className='channel-header'>
                        {'~ask-anything '}
                        <Route/>
                        {registered.header.map((button) => (
                            <button
                                key={button.id}
                                type='button'
                                className='channel-header-button'
                                onClick={() => button.action(channels[0])}
                            >
                                {button.icon}
                                <span className='sr-only'>{button.dropdownText}</span>
                                <span
                                    role='tooltip'
                                    className='sr-only'
                                >
                                    {button.tooltipText}
                                </span>
                            </button>
                        ))}
                    </h1>
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
                            <MessageActions post={post}/>
                        </div>
                    ))}
                </main>
                {registered.roots.map((Root, i) => (
                    <PluginErrorBoundary
                        key={i}
                        pluginId={registered.pluginId}
                    >
                        <Root theme={theme}/>
                    </PluginErrorBoundary>
                ))}
            </ReactIntl.IntlProvider>
        </ReactRedux.Provider>
    );
}

// React 18 hosts render with createRoot; React 17 has only ReactDOM.render.
const container = document.getElementById('root')!;
const dom = ReactDOM as unknown as {
    createRoot?: (el: Element) => {render(node: React.ReactNode): void};
    render(node: React.ReactNode, el: Element): void;
};
const root = dom.createRoot ? dom.createRoot(container) : null;
function render() {
    if (root) {
        root.render(<App/>);
    } else {
        dom.render(<App/>, container);
    }
}
render();

// The real webapp listens on the document for its shortcuts; record what reaches it.
const documentKeys: string[] = [];
document.addEventListener('keydown', (event) => documentKeys.push(event.key));

w.__host = {
    store,
    documentKeys,
    registered,
    versions: {react: React.version, reactDom: (ReactDOM as unknown as {version: string}).version},
    emit(msg: {event: string; data: unknown}) {
        for (const handler of registered.ws[msg.event] ?? []) {
            handler(msg);
        }
    },
    reconnect() {
        registered.reconnect.forEach((fn) => fn());
    },
    setTheme(name: string) {
        theme = THEMES[name];
        document.body.style.background = theme.centerChannelBg;
        render();
    },
};
