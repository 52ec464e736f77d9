/**
 * A stand-in Mattermost host page that talks to a REAL Mattermost server: the page of `make demo`
 * and of the real-server browser test (`test/browser/flow.live.test.ts`). It is not Mattermost's
 * webapp, which cannot be built here; it does what the plugin relies on, against the real REST API
 * and WebSocket, with a real session:
 *
 * - logs in with `POST /api/v4/users/login` (session cookies `MMAUTHTOKEN` and `MMCSRF`), reads the
 *   user, the team, the community channel and the escalations channel, their latest posts and the
 *   posts' authors;
 * - hands the plugin the host libraries, the registry, a Redux store with those entities (SiteURL =
 *   this page's origin, through which `live_server.ts` passes every API call to the server);
 * - opens `/api/v4/websocket`: `posted` and `post_edited` update the posts, `ephemeral_message`
 *   shows the presser's private answers, every event goes to the plugin's handlers, and after a
 *   reconnect the plugin's reconnect handlers run;
 * - renders the escalation post from the server's JSON (Markdown and attachment through the
 *   stand-in renderer of `post_page.ts`) and presses its buttons and menu through the server's action
 *   endpoint `POST /api/v4/posts/{id}/actions/{action_id}`, as the webapp does.
 *
 * `window.__live` carries what the page learnt (user, channels) and the host's library versions.
 */
import React from 'react';
import * as ReactIntl from 'react-intl';
import * as ReactRedux from 'react-redux';
import * as Redux from 'redux';

import {markdown, type PostAction, type PostAttachment} from 'test/browser/post_page';

import {
    MessageActions, PluginRoots, THEMES, emit, exposeLibraries, installRegistry, makeRenderer, pluginMessages,
    reconnect, registered, thunk, versions,
} from './plugin_host';

interface LivePost {
    id: string;
    user_id: string;
    channel_id: string;
    root_id: string;
    message: string;
    type: string;
    props: {attachments?: PostAttachment[]} & Record<string, unknown>;
    create_at: number;
    delete_at: number;
    pending_post_id: string;
    ephemeral?: boolean;
}
interface LiveUser {
    id: string;
    username: string;
    is_bot?: boolean;
}
interface LiveChannel {
    id: string;
    name: string;
    display_name: string;
    shared?: boolean;
}
interface LiveData {
    /** Who to log in as (a provisioned account), or null to use the session the browser has. */
    login: {username: string; password: string} | null;
    team: string;
    channels: {community: string; escalations: string};
    theme: string;
}
interface Entities {
    general: {config: Record<string, string>};
    users: {currentUserId: string; profiles: Record<string, LiveUser>};
    channels: {channels: Record<string, LiveChannel>};
    posts: {posts: Record<string, LivePost>};
}
type HostAction =
    | {type: 'LIVE_INIT'; config: Record<string, string>; me: LiveUser; channels: LiveChannel[]}
    | {type: 'LIVE_POSTS'; posts: LivePost[]}
    | {type: 'LIVE_USERS'; users: LiveUser[]};

exposeLibraries();
const data = (window as unknown as {__LIVE_DATA__: LiveData}).__LIVE_DATA__;
const theme = THEMES[data.theme] ?? THEMES.denim;
const w = window as unknown as Record<string, unknown>;
w.basename = '';

const EMPTY: Entities = {
    general: {config: {}},
    users: {currentUserId: '', profiles: {}},
    channels: {channels: {}},
    posts: {posts: {}},
};

function entities(state: Entities = EMPTY, unknownAction: Redux.UnknownAction): Entities {
    const action = unknownAction as HostAction;
    switch (action.type) {
    case 'LIVE_INIT':
        return {
            general: {config: action.config},
            users: {currentUserId: action.me.id, profiles: {...state.users.profiles, [action.me.id]: action.me}},
            channels: {channels: Object.fromEntries(action.channels.map((c) => [c.id, c]))},
            posts: state.posts,
        };
    case 'LIVE_POSTS':
        return {...state, posts: {posts: {...state.posts.posts, ...Object.fromEntries(action.posts.map((p) => [p.id, p]))}}};
    case 'LIVE_USERS':
        return {...state, users: {...state.users, profiles: {...state.users.profiles, ...Object.fromEntries(action.users.map((u) => [u.id, u]))}}};
    default:
        return state;
    }
}

const store = Redux.createStore(Redux.combineReducers({entities}), Redux.applyMiddleware(thunk));
const getEntities = (): Entities => store.getState().entities;

function csrfToken(): string {
    return document.cookie.split('; ').find((c) => c.startsWith('MMCSRF='))?.slice('MMCSRF='.length) ?? '';
}

/** A REST call with the session cookie, as the webapp's client makes it. */
async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(path, {
        method,
        credentials: 'same-origin',
        headers: {'X-Requested-With': 'XMLHttpRequest', 'X-CSRF-Token': csrfToken(), 'Content-Type': 'application/json'},
        body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (!response.ok) {
        throw new Error(`${method} ${path}: HTTP ${response.status} ${text.slice(0, 200)}`);
    }
    return (text ? JSON.parse(text) : null) as T;
}

let lastError = '';
function fail(err: unknown): void {
    lastError = String(err);
    render();
}

async function loadUsers(posts: LivePost[]): Promise<void> {
    const known = getEntities().users.profiles;
    const ids = [...new Set(posts.map((p) => p.user_id))].filter((id) => !known[id]);
    if (ids.length > 0) {
        store.dispatch({type: 'LIVE_USERS', users: await api<LiveUser[]>('POST', '/api/v4/users/ids', ids)});
    }
}

async function receivePosts(posts: LivePost[]): Promise<void> {
    await loadUsers(posts);
    store.dispatch({type: 'LIVE_POSTS', posts});
    render();
}

async function loadChannelPosts(channel: LiveChannel): Promise<void> {
    const list = await api<{order: string[]; posts: Record<string, LivePost>}>('GET', `/api/v4/channels/${channel.id}/posts?per_page=60`);
    await receivePosts(list.order.map((id) => list.posts[id]));
}

async function start(): Promise<void> {
    if (data.login) {
        await api('POST', '/api/v4/users/login', {login_id: data.login.username, password: data.login.password});
    }
    const me = await api<LiveUser>('GET', '/api/v4/users/me');
    const team = await api<{id: string}>('GET', `/api/v4/teams/name/${data.team}`);
    // A community member cannot read the (private) escalations channel: it is left out.
    const found = await Promise.all([data.channels.community, data.channels.escalations].map(
        (name) => api<LiveChannel>('GET', `/api/v4/teams/${team.id}/channels/name/${name}`).catch(() => null)));
    const channels = found.filter((c): c is LiveChannel => c !== null);
    const config = await api<Record<string, string>>('GET', '/api/v4/config/client?format=old');
    store.dispatch({type: 'LIVE_INIT', config: {...config, SiteURL: window.location.origin}, me, channels});
    await Promise.all(channels.map(loadChannelPosts));
    connect();
}

let socketState: 'connecting' | 'connected' | 'closed' = 'connecting';
let connectedOnce = false;

/** The user's WebSocket, authenticated by the session cookie; reconnects after a second. */
function connect(): void {
    const socket = new WebSocket(`${window.location.protocol === 'https:' ? 'wss' : 'ws'}://${window.location.host}/api/v4/websocket`);
    socket.onmessage = (message: MessageEvent<string>) => {
        const msg = JSON.parse(message.data) as {event?: string; data?: Record<string, unknown>};
        if (!msg.event) {
            return; // a reply to a request of ours
        }
        if (msg.event === 'hello') {
            socketState = 'connected';
            if (connectedOnce) {
                reconnect();
            }
            connectedOnce = true;
            render();
        }
        const raw = msg.data?.post;
        if (typeof raw === 'string' && ['posted', 'post_edited', 'ephemeral_message'].includes(msg.event)) {
            const post = JSON.parse(raw) as LivePost;
            receivePosts([{...post, ephemeral: msg.event === 'ephemeral_message'}]).catch(fail);
        }
        emit({event: msg.event, data: msg.data ?? {}});
    };
    socket.onclose = () => {
        socketState = 'closed';
        render();
        setTimeout(connect, 1000);
    };
}

/** Press a button, or choose an option of a menu, of a message attachment (the webapp's call). */
function press(postId: string, actionId: string, selectedOption?: string): void {
    const body = selectedOption === undefined ? {} : {selected_option: selectedOption};
    api('POST', `/api/v4/posts/${postId}/actions/${actionId}`, body).catch(fail);
}

function Action({postId, action}: {postId: string; action: PostAction & {options?: Array<{text: string; value: string}>}}) {
    if (action.type === 'select') {
        return (
            <select
                className='action select'
                aria-label={action.name}
                value=''
                onChange={(e) => press(postId, action.id, e.target.value)}
            >
                <option value=''>{action.name}</option>
                {(action.options ?? []).map((o) => (
                    <option
                        key={o.value}
                        value={o.value}
                    >
                        {o.text}
                    </option>
                ))}
            </select>
        );
    }
    return (
        <button
            type='button'
            className={`action ${action.style ?? 'default'}`}
            onClick={() => press(postId, action.id)}
        >
            {action.name}
        </button>
    );
}

function Post({post, plugin}: {post: LivePost; plugin: boolean}) {
    const author = getEntities().users.profiles[post.user_id];
    const channel = getEntities().channels.channels[post.channel_id];
    const system = post.type.startsWith('system_') || Boolean(post.ephemeral);
    return (
        <article
            className={`post${system ? ' post--system' : ''}`}
            data-testid={`post-${post.id}`}
        >
            <div className='post-body'>
                <strong>{author?.username ?? '…'}</strong>
                {author?.is_bot ? <span className='bot'>{'BOT'}</span> : null}
                {post.ephemeral ? <span className='bot'>{'(Only visible to you)'}</span> : null}
                <div
                    className='message'
                    // the stand-in renderer escapes every character of the message before adding markup
                    dangerouslySetInnerHTML={{__html: markdown(post.message)}}
                />
                {(post.props.attachments ?? []).map((a, i) => (
                    <div
                        key={i}
                        className='attachment'
                        style={{borderLeftColor: a.color ?? '#ccc'}}
                    >
                        {a.text ? (
                            <div
                                className='attachment-text'
                                dangerouslySetInnerHTML={{__html: markdown(a.text)}}
                            />
                        ) : null}
                        <div className='actions'>
                            {(a.actions ?? []).map((action) => (
                                <Action
                                    key={action.id}
                                    postId={post.id}
                                    action={action}
                                />
                            ))}
                        </div>
                    </div>
                ))}
            </div>
            {plugin && !system ? (
                <MessageActions
                    postId={post.id}
                    pluginItems={!channel?.shared}
                />
            ) : null}
        </article>
    );
}

/** A channel's latest root posts, then this user's latest ephemeral answers there, oldest first. */
function Channel({name, plugin, last}: {name: string; plugin: boolean; last: number}) {
    const channel = Object.values(getEntities().channels.channels).find((c) => c.name === name);
    const all = Object.values(getEntities().posts.posts).
        filter((p) => p.channel_id === channel?.id && !p.root_id && p.delete_at === 0).
        sort((a, b) => a.create_at - b.create_at);
    const posts = [...all.filter((p) => !p.ephemeral).slice(-last), ...all.filter((p) => p.ephemeral).slice(-1)];
    return (
        <section
            className='channel'
            aria-label={`~${name}`}
            data-testid={`channel-${name}`}
        >
            <h2 className='channel-header'>{channel ? `~${channel.display_name}` : `~${name} (you are not a member)`}</h2>
            {posts.map((post) => (
                <Post
                    key={post.id}
                    post={post}
                    plugin={plugin}
                />
            ))}
        </section>
    );
}

function App() {
    const me = getEntities().users.profiles[getEntities().users.currentUserId];
    return (
        <ReactRedux.Provider store={store}>
            <ReactIntl.IntlProvider
                locale='en'
                messages={pluginMessages()}
            >
                <header
                    className='top'
                    data-testid='live-status'
                    data-socket={socketState}
                >
                    {`Test host, not Mattermost's webapp · signed in as @${me?.username ?? '…'} · WebSocket ${socketState}`}
                    {lastError ? <div role='alert' data-testid='host-error'>{lastError}</div> : null}
                </header>
                <main
                    className='columns'
                    style={{background: theme.centerChannelBg, color: theme.centerChannelColor}}
                >
                    <Channel
                        name={data.channels.community}
                        plugin={true}
                        last={4}
                    />
                    <Channel
                        name={data.channels.escalations}
                        plugin={true}
                        last={2}
                    />
                </main>
                <PluginRoots theme={theme}/>
            </ReactIntl.IntlProvider>
        </ReactRedux.Provider>
    );
}

const renderApp = makeRenderer(document.getElementById('root')!);
function render(): void {
    renderApp(<App/>);
}
installRegistry(store, {entities}, render);
document.body.style.background = theme.centerChannelBg;
render();
start().catch(fail);

w.__live = {
    store,
    registered,
    versions,
    get me() {
        return getEntities().users.profiles[getEntities().users.currentUserId] ?? null;
    },
};
