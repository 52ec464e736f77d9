import type {Post} from '@mattermost/types/posts';

import {ESCALATION_MARKER_PROP, isEscalatable} from 'src/post_filter';

import {makePost} from 'test/fixtures';

describe('isEscalatable (the Escalate menu filter)', () => {
    it('shows Escalate on an ordinary user post', () => {
        expect(isEscalatable(makePost())).toBe(true);
    });

    it('shows it on a reply and on a post with unrelated props', () => {
        expect(isEscalatable(makePost({root_id: 'r'.repeat(26), props: {from_webhook: 'true'}}))).toBe(true);
    });

    it.each<[string, Partial<Post>]>([
        ['system message', {type: 'system_join_channel'}],
        ['system header change', {type: 'system_header_change'}],
        ['ephemeral post', {type: 'system_ephemeral'}],
        ['ephemeral add-to-channel', {type: 'system_ephemeral_add_to_channel' as Post['type']}],
        ['deleted post', {state: 'DELETED' as const}],
        ['deleted by timestamp', {delete_at: 1700000000001}],
        ['failed post', {failed: true}],
        ['pending post', {id: 'pending-1', pending_post_id: 'pending-1'}],
    ])('hides it on a %s', (_name, overrides) => {
        expect(isEscalatable(makePost(overrides))).toBe(false);
    });

    it('hides it on our escalation post: a bot post with the marker', () => {
        const post = makePost({props: {[ESCALATION_MARKER_PROP]: 'esc1', from_bot: 'true', from_plugin: 'true'}});
        expect(isEscalatable(post, new Set(), true)).toBe(false);
    });

    it('shows it on a user post that carries the marker (anyone can set props on their own post)', () => {
        const post = makePost({props: {[ESCALATION_MARKER_PROP]: 'esc1', from_bot: 'true'}});
        expect(isEscalatable(post, new Set(), false)).toBe(true);
    });

    it('hides it on an escalation post this client knows by id, even without the marker', () => {
        const post = makePost({id: 'e'.repeat(26), props: {from_bot: 'true'}});
        expect(isEscalatable(post, new Set(['e'.repeat(26)]))).toBe(false);
    });

    it('hides it when the post is not in the store', () => {
        expect(isEscalatable(undefined)).toBe(false);
    });
});
