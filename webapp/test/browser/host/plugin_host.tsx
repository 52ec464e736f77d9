/**
 * What the stand-in host pages share: the host libraries on `window`, `window.registerPlugin` and
 * the registry methods this plugin uses, the plugin error boundary, the "Message actions" menu with
 * the plugins' items, and the themes. Used by the scripted host (`host.tsx`) and by the host that
 * talks to a real Mattermost server (`test/live/live_host.tsx`).
 *
 * Like the real webapp: plugin reducers are mounted at `plugins-<id>` beside the host's own;
 * `filter` and `action` of a menu item get the post id; root components render inside an error
 * boundary that replaces a failed component with an error and "Refresh" (which renders it again).
 */
import React, {useState} from 'react';
import ReactDOM from 'react-dom';
import * as ReactIntl from 'react-intl';
import * as ReactRedux from 'react-redux';
import * as Redux from 'redux';

export type Theme = Record<string, string>;
type Handler = (msg: {event: string; data: unknown}) => void;

export interface MenuItem {
    id: string;
    text: React.ReactNode;
    action: (postId: string) => void;
    filter?: (postId: string) => boolean;
}

/** Mattermost's default (Denim) and dark (Onyx) themes, the keys a plugin reads. */
/** A channel-header button; its action gets the current channel. */
export interface HeaderButton {
    id: string;
    icon: React.ReactNode;
    action: (channel: {id: string; name: string; display_name: string}) => void;
    dropdownText: React.ReactNode;
    tooltipText: React.ReactNode;
}

export const THEMES: Record<string, Theme> = {
    denim: {
        type: 'Denim', centerChannelBg: '#ffffff', centerChannelColor: '#3f4350', buttonBg: '#1c58d9', buttonColor: '#ffffff',
        linkColor: '#386fe5', errorTextColor: '#d24b4e', onlineIndicator: '#3db887',
    },
    onyx: {
        type: 'Onyx', centerChannelBg: '#191b1f', centerChannelColor: '#e3e4e8', buttonBg: '#4a7ce8', buttonColor: '#ffffff',
        linkColor: '#5d89ea', errorTextColor: '#da6c6e', onlineIndicator: '#3db887',
    },
};

const w = window as unknown as Record<string, unknown>;

/** The libraries the real webapp hands to plugins on `window`. */
export function exposeLibraries(): void {
    w.React = React;
    w.ReactDOM = ReactDOM;
    w.Redux = Redux;
    w.ReactRedux = ReactRedux;
    w.ReactIntl = ReactIntl;
}

export const registered = {
    menu: [] as MenuItem[],
    header: [] as HeaderButton[],
    roots: [] as Array<React.ComponentType<Record<string, unknown>>>,
    ws: {} as Record<string, Handler[]>,
    reconnect: [] as Array<() => void>,
    translations: [] as Array<(locale: string) => Record<string, string> | undefined>,
    pluginId: '',
};

/** Redux middleware running thunks, as the host's store does. */
export const thunk: Redux.Middleware = ({dispatch, getState}) => (next) => (action) =>
    (typeof action === 'function' ? (action as (d: unknown, g: unknown) => unknown)(dispatch, getState) : next(action));

/**
 * Install `window.registerPlugin`: plugins register into `registered`, their reducers join
 * `hostReducers` in `store`, and `render` runs after every registration that changes the page.
 */
export function installRegistry(store: Redux.Store, hostReducers: Redux.ReducersMapObject, render: () => void): void {
    const pluginReducers: Record<string, Redux.Reducer> = {};
    const makeRegistry = (pluginId: string) => {
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
            registerReducer(reducer: Redux.Reducer) {
                pluginReducers[`plugins-${pluginId}`] = reducer;
                store.replaceReducer(Redux.combineReducers({...hostReducers, ...pluginReducers}));
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
    };
    w.registerPlugin = (pluginId: string, plugin: {initialize: (registry: unknown, store: unknown) => void}) => {
        registered.pluginId = pluginId;
        plugin.initialize(makeRegistry(pluginId), store);
        render();
    };
}

/** Deliver a WebSocket event to the plugins' handlers for it. */
export function emit(msg: {event: string; data: unknown}): void {
    for (const handler of registered.ws[msg.event] ?? []) {
        handler(msg);
    }
}

export function reconnect(): void {
    registered.reconnect.forEach((fn) => fn());
}

/** The plugins' English translations, merged (what the host's IntlProvider gets). */
export function pluginMessages(): Record<string, string> {
    return Object.assign({}, ...registered.translations.map((fn) => fn('en') ?? {})) as Record<string, string>;
}

/** Like the host's plugin error boundary: the failed component gives way to an error and "Refresh". */
export class PluginErrorBoundary extends React.Component<{pluginId: string; children: React.ReactNode}, {error: string | null}> {
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

/** The plugins' root components, each in its own error boundary, given the theme. */
export function PluginRoots({theme}: {theme: Theme}) {
    return (
        <>
            {registered.roots.map((Root, i) => (
                <PluginErrorBoundary
                    key={i}
                    pluginId={registered.pluginId}
                >
                    <Root theme={theme}/>
                </PluginErrorBoundary>
            ))}
        </>
    );
}

/** A post's "Message actions" button and menu; `pluginItems` false leaves plugin items out. */
export function MessageActions({postId, pluginItems}: {postId: string; pluginItems: boolean}) {
    const [open, setOpen] = useState(false);
    const items = open && pluginItems ? registered.menu.filter((item) => !item.filter || item.filter(postId)) : [];
    return (
        <span className='post-actions'>
            <button
                type='button'
                aria-label={`Message actions for ${postId}`}
                title='Message actions'
                aria-expanded={open}
                data-post-id={postId}
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
                                item.action(postId);
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

/** Render `node` into `container` the way the host's React does (createRoot on 18, render on 17). */
export function makeRenderer(container: Element): (node: React.ReactNode) => void {
    const dom = ReactDOM as unknown as {
        createRoot?: (el: Element) => {render(node: React.ReactNode): void};
        render(node: React.ReactNode, el: Element): void;
    };
    const root = dom.createRoot ? dom.createRoot(container) : null;
    return (node) => (root ? root.render(node) : dom.render(node, container));
}

export const versions = {react: React.version, reactDom: (ReactDOM as unknown as {version: string}).version};
