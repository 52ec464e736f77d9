/**
 * A small stand-in for the Mattermost webapp, for the real-browser test (scripted plugin API). Built by the test with
 * esbuild once per supported server: `react`, `react-dom`, `redux`, `react-redux` and `react-intl`
 * are aliased to the exact versions that server's webapp ships (`test/browser/hosts.ts`), so the
 * plugin bundle runs against the same libraries it meets in production. Never committed as output.
 *
 * Where the plugin relies on the real host, this page behaves the same way (the registry, error
 * boundary and menu are in `plugin_host.tsx`, shared with the real-server host):
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
import * as ReactIntl from 'react-intl';
import * as ReactRedux from 'react-redux';
import * as Redux from 'redux';

import {
    MessageActions, PluginRoots, THEMES, emit, exposeLibraries, installRegistry, makeRenderer, pluginMessages,
    reconnect, registered, thunk, versions, type Theme,
} from './plugin_host';

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

exposeLibraries();

const data = (window as unknown as {__HOST_DATA__: HostData}).__HOST_DATA__;
const {posts, channels, basename} = data;
const siteURL = `${window.location.origin}${basename}`;

// What the real webapp sets up before any plugin loads (root.html and utils/browser_history).
const w = window as unknown as Record<string, unknown>;
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

const store = Redux.createStore(Redux.combineReducers({entities}), Redux.applyMiddleware(thunk));
let theme: Theme = THEMES.denim;

function isSystemMessage(post: HostPost): boolean {
    return post.type !== '' && post.type.startsWith('system_');
}

function pluginItemsVisible(post: HostPost): boolean {
    const channel = channels.find((c) => c.id === post.channel_id);
    return !channel?.shared || data.featureFlags.EnableSharedChannelsPlugins === 'true';
}

function Route() {
    const [path, setPath] = useState(browserHistory.location.pathname);
    React.useEffect(() => browserHistory.listen((location) => setPath(location.pathname)), []);
    return <span data-testid='route'>{path}</span>;
}

function App() {
    return (
        <ReactRedux.Provider store={store}>
            <ReactIntl.IntlProvider
                locale='en'
                messages={pluginMessages()}
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
                            {isSystemMessage(post) ? null : (
                                <MessageActions
                                    postId={post.id}
                                    pluginItems={pluginItemsVisible(post)}
                                />
                            )}
                        </div>
                    ))}
                </main>
                <PluginRoots theme={theme}/>
            </ReactIntl.IntlProvider>
        </ReactRedux.Provider>
    );
}

const renderApp = makeRenderer(document.getElementById('root')!);
function render() {
    renderApp(<App/>);
}
installRegistry(store, {entities}, render);
render();

// The real webapp listens on the document for its shortcuts; record what reaches it.
const documentKeys: string[] = [];
document.addEventListener('keydown', (event) => documentKeys.push(event.key));

w.__host = {
    store,
    documentKeys,
    registered,
    versions,
    emit,
    reconnect,
    setTheme(name: string) {
        theme = THEMES[name];
        document.body.style.background = theme.centerChannelBg;
        render();
    },
};
