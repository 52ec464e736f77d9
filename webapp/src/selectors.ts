/**
 * Reading the host's state and our own slice (`state['plugins-<id>']`).
 *
 * The two host lookups (`getConfig`, `getPost`) read the same fields as mattermost-redux's selectors
 * of those names; they are written out here because importing the memoised originals pulls ~40 KB of
 * selector machinery into the bundle for two property reads.
 */
import type {ClientConfig} from '@mattermost/types/config';
import type {Post} from '@mattermost/types/posts';
import type {GlobalState} from '@mattermost/types/store';

import {manifest} from 'src/manifest';
import {initialState, type PluginState} from 'src/reducer';
import {pluginBasePath} from 'src/client';

export const pluginStateKey = `plugins-${manifest.id}`;

export type StateWithPlugin = GlobalState & {[key: string]: unknown};

export function pluginState(state: StateWithPlugin): PluginState {
    return (state[pluginStateKey] as PluginState | undefined) ?? initialState;
}

export function getConfig(state: GlobalState): Partial<ClientConfig> {
    return state.entities?.general?.config ?? {};
}

export function getPost(state: GlobalState, postId: string): Post | undefined {
    return state.entities?.posts?.posts?.[postId];
}

/** Whether the author of a post is a bot account (users cannot make themselves one). */
export function isBotUser(state: GlobalState, userId: string | undefined): boolean {
    return Boolean(userId && state.entities?.users?.profiles?.[userId]?.is_bot);
}

export function getBasePath(state: GlobalState): string {
    return pluginBasePath(getConfig(state).SiteURL, manifest.id);
}

/** Post ids of the escalation posts this client has seen (from responses and WebSocket events). */
export function knownEscalationPostIds(state: StateWithPlugin): Set<string> {
    const ids = new Set<string>();
    for (const escalation of Object.values(pluginState(state).escalations)) {
        if (escalation.escalation_post_id) {
            ids.add(escalation.escalation_post_id);
        }
    }
    return ids;
}
