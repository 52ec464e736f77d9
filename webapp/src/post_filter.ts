/**
 * Which posts get "Escalate" in their message menu.
 *
 * Hidden on:
 * - system messages (`type` starting with `system_`, which includes ephemeral posts of type
 *   `system_ephemeral` / `system_ephemeral_add_to_channel`),
 * - ephemeral or unsent posts by state (deleted, pending, failed: the server has no such post),
 * - the plugin bot's own escalation posts. They are recognised by the marker prop
 *   `ESCALATION_MARKER_PROP` that the server sets on every escalation post, but only on a bot's post
 *   (anyone can set any prop on their own post: the marker alone would let a user hide Escalate on
 *   it), and by the post ids of the escalations this client has already seen. The server decides
 *   in the end: it refuses only posts of its bot that an escalation record points to.
 */
import type {Post} from '@mattermost/types/posts';

/** Prop the server sets on its escalation posts (value: the escalation id). */
export const ESCALATION_MARKER_PROP = 'community_escalation_id';

export function isEscalatable(
    post: Post | undefined,
    knownEscalationPosts: ReadonlySet<string> = new Set(),
    authorIsBot = false,
): boolean {
    if (!post || !post.id) {
        return false;
    }
    if (post.type && post.type.startsWith('system_')) {
        return false;
    }
    if (post.state === 'DELETED' || post.delete_at > 0 || post.failed) {
        return false;
    }
    if (post.pending_post_id && post.pending_post_id === post.id) {
        return false;
    }
    const props = post.props ?? {};
    if (authorIsBot && props[ESCALATION_MARKER_PROP]) {
        return false;
    }
    return !knownEscalationPosts.has(post.id);
}
