/**
 * Action creators. The async ones are thunks: the host store runs redux-thunk, and the test hosts
 * install an equivalent middleware.
 */
import type {AnyAction} from 'redux';

import {ActionTypes} from 'src/action_types';
import {ClientError, createClient} from 'src/client';
import {getBasePath, getPost, pluginState, type StateWithPlugin} from 'src/selectors';
import type {EscalationUpdatedPayload} from 'src/types/api';

export type GetState = () => StateWithPlugin;
export type Thunk<R = unknown> = (dispatch: Dispatch, getState: GetState) => R;

/** The host store's dispatch: plain actions, and thunks (redux-thunk) returning their result. */
export interface Dispatch {
    <R>(thunk: Thunk<R>): R;
    <A extends AnyAction>(action: A): A;
}

function errorOf(err: unknown): {status: number; message: string} {
    if (err instanceof ClientError) {
        return {status: err.status, message: err.message};
    }
    return {status: 0, message: ''};
}

export function fetchTopics(): Thunk<Promise<void>> {
    return async (dispatch, getState) => {
        dispatch({type: ActionTypes.TOPICS_REQUEST});
        try {
            const data = await createClient(getBasePath(getState())).getTopics();
            dispatch({type: ActionTypes.TOPICS_SUCCESS, data});
        } catch (err) {
            dispatch({type: ActionTypes.TOPICS_FAILURE, error: errorOf(err)});
        }
    };
}

/** Opens the modal for a post and (re)loads the topics: the policy may have changed since. */
export function openEscalateModal(postId: string): Thunk<Promise<void>> {
    return async (dispatch) => {
        dispatch({type: ActionTypes.OPEN_MODAL, postId});
        await dispatch(fetchTopics());
    };
}

/** Opens the modal for a link raised outside Mattermost (the channel-header button). */
export function openLinkModal(channelId: string): Thunk<Promise<void>> {
    return async (dispatch) => {
        dispatch({type: ActionTypes.OPEN_LINK_MODAL, channelId});
        await dispatch(fetchTopics());
    };
}

export function closeEscalateModal(): AnyAction {
    return {type: ActionTypes.CLOSE_MODAL};
}

/**
 * Submits the escalation of the modal's post. On success the modal closes and the notice links to
 * the escalation (new, or the existing one on `200`); on failure the modal stays open with the
 * server's message.
 */
export function submitEscalation(topic: string, note: string): Thunk<Promise<boolean>> {
    return async (dispatch, getState) => {
        const {modal, submit} = pluginState(getState());
        if (!modal.postId || submit.status === 'submitting') {
            return false;
        }
        dispatch({type: ActionTypes.SUBMIT_REQUEST});
        try {
            const trimmed = note.trim();
            const channelId = getPost(getState(), modal.postId)?.channel_id;
            const result = await createClient(getBasePath(getState())).createEscalation({
                post_id: modal.postId,
                topic,
                ...(trimmed ? {note: trimmed} : {}),
                ...(channelId ? {channel_id: channelId} : {}),
            });
            dispatch({type: ActionTypes.SUBMIT_SUCCESS, escalation: result.escalation, created: result.created});
            return true;
        } catch (err) {
            dispatch({type: ActionTypes.SUBMIT_FAILURE, error: errorOf(err)});
            return false;
        }
    };
}

/**
 * Submits the escalation of a link raised outside Mattermost, as `submitEscalation` does for a post.
 * The server checks the link, the summary and whether this user may escalate at all.
 */
export function submitLinkEscalation(topic: string, link: {url: string; summary: string; note: string}): Thunk<Promise<boolean>> {
    return async (dispatch, getState) => {
        const {modal, submit} = pluginState(getState());
        if (!modal.link || submit.status === 'submitting') {
            return false;
        }
        dispatch({type: ActionTypes.SUBMIT_REQUEST});
        try {
            const note = link.note.trim();
            const result = await createClient(getBasePath(getState())).createLinkEscalation({
                url: link.url.trim(),
                topic,
                summary: link.summary.trim(),
                channel_id: modal.link.channelId,
                ...(note ? {note} : {}),
            });
            dispatch({type: ActionTypes.SUBMIT_SUCCESS, escalation: result.escalation, created: result.created});
            return true;
        } catch (err) {
            dispatch({type: ActionTypes.SUBMIT_FAILURE, error: errorOf(err)});
            return false;
        }
    };
}

export function escalationUpdated(payload: EscalationUpdatedPayload): AnyAction {
    return {type: ActionTypes.ESCALATION_UPDATED, payload};
}

/** Re-reads the escalations on screen, e.g. after a WebSocket reconnect may have dropped events. */
export function refreshKnownEscalations(): Thunk<Promise<void>> {
    return async (dispatch, getState) => {
        const {notice} = pluginState(getState());
        if (!notice) {
            return;
        }
        try {
            const escalation = await createClient(getBasePath(getState())).getEscalation(notice.escalationId);
            dispatch({type: ActionTypes.ESCALATION_RECEIVED, escalation});
        } catch {
            // Keep what we have; the next event or reconnect tries again.
        }
    };
}

export function dismissNotice(): AnyAction {
    return {type: ActionTypes.DISMISS_NOTICE};
}
