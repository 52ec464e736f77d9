/**
 * The parts of the Mattermost webapp's plugin registry this plugin uses.
 *
 * Typed from the running host (mattermost/mattermost `webapp/channels/src/plugins/registry.ts`), not
 * from the starter template's hand-written typings: the post menu passes the **post id string** to
 * both `filter` and `action`.
 */
import type React from 'react';
import type {Reducer, Store} from 'redux';

import type {GlobalState} from '@mattermost/types/store';

export interface WebSocketMessage<T = unknown> {
    event: string;
    data: T;
    broadcast?: Record<string, unknown>;
    seq?: number;
}

export type Translations = Record<string, string>;

/** The channel the channel-header button was pressed in (the fields this plugin reads). */
export interface HeaderChannel {
    id: string;
}

export interface PluginRegistry {
    registerPostDropdownMenuAction(
        text: React.ReactNode,
        action: (postId: string) => void,
        filter?: (postId: string) => boolean,
    ): string;
    registerChannelHeaderButtonAction(
        icon: React.ReactNode,
        action: (channel: HeaderChannel) => void,
        dropdownText: React.ReactNode,
        tooltipText: React.ReactNode,
    ): string;
    registerRootComponent(component: React.ComponentType<Record<string, unknown>>): string;
    registerReducer(reducer: Reducer): void;
    registerWebSocketEventHandler(event: string, handler: (msg: WebSocketMessage) => void): void;
    registerReconnectHandler(handler: () => void): void;
    registerTranslations(getTranslationsForLocale: (locale: string) => Translations | undefined): void;
}

/** The host's store: state is the host's global state plus our slice; thunks are supported. */
export type HostStore = Store<GlobalState>;
