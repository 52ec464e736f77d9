/**
 * Plugin entry: registers the "Escalate" message-menu item, the channel-header button that escalates
 * a link raised outside Mattermost (shown to everyone: the server decides who may escalate and
 * answers the others with a clear 403), the root component (modal + notice),
 * the reducer, the WebSocket and reconnect handlers and the translations, under the id from
 * `plugin.json`.
 */
import React from 'react';
import {FormattedMessage} from 'react-intl';

import {openEscalateModal, openLinkModal, refreshKnownEscalations, type Dispatch} from 'src/actions';
import LinkIcon from 'src/components/link_icon';
import Root from 'src/components/root/root';
import {getTranslations} from 'src/i18n/translations';
import {messages} from 'src/i18n/messages';
import {manifest} from 'src/manifest';
import {isEscalatable} from 'src/post_filter';
import reducer from 'src/reducer';
import {getPost, isBotUser, knownEscalationPostIds, type StateWithPlugin} from 'src/selectors';
import type {HostStore, PluginRegistry} from 'src/types/registry';
import {ESCALATION_UPDATED_EVENT, handleEscalationUpdated} from 'src/websocket_events';

export default class Plugin {
    public initialize(registry: PluginRegistry, store: HostStore): void {
        const dispatch = store.dispatch as unknown as Dispatch;
        const getState = () => store.getState() as StateWithPlugin;

        registry.registerReducer(reducer);
        registry.registerTranslations(getTranslations);
        registry.registerRootComponent(Root as React.ComponentType<Record<string, unknown>>);
        registry.registerPostDropdownMenuAction(
            <FormattedMessage {...messages.menuEscalate}/>,
            (postId: string) => {
                void dispatch(openEscalateModal(postId));
            },
            (postId: string) => {
                const post = getPost(getState(), postId);
                return isEscalatable(post, knownEscalationPostIds(getState()), isBotUser(getState(), post?.user_id));
            },
        );
        registry.registerChannelHeaderButtonAction(
            <LinkIcon/>,
            (channel) => {
                void dispatch(openLinkModal(channel.id));
            },
            <FormattedMessage {...messages.headerButton}/>,
            <FormattedMessage {...messages.headerTooltip}/>,
        );
        registry.registerWebSocketEventHandler(ESCALATION_UPDATED_EVENT, handleEscalationUpdated(dispatch));
        registry.registerReconnectHandler(() => {
            void dispatch(refreshKnownEscalations());
        });
    }
}

declare global {
    interface Window {
        registerPlugin(pluginId: string, plugin: Plugin): void;
    }
}

window.registerPlugin(manifest.id, new Plugin());
