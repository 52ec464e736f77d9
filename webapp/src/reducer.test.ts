import {ActionTypes} from 'src/action_types';
import {escalationUpdated} from 'src/actions';
import reducer, {initialState, type PluginState} from 'src/reducer';

import {makeEscalation, POST_ID, topicsResponse} from 'test/fixtures';

function run(...actions: Array<{type: string; [k: string]: unknown}>): PluginState {
    return actions.reduce((state, action) => reducer(state, action), initialState);
}

describe('reducer', () => {
    it('starts closed and empty', () => {
        expect(reducer(undefined, {type: '@@INIT'})).toEqual(initialState);
    });

    it('opens the modal for a post and closes it again', () => {
        const open = run({type: ActionTypes.OPEN_MODAL, postId: POST_ID});
        expect(open.modal).toEqual({open: true, postId: POST_ID});
        expect(reducer(open, {type: ActionTypes.CLOSE_MODAL}).modal).toEqual({open: false, postId: null});
    });

    it('tracks the topics load', () => {
        const loading = run({type: ActionTypes.TOPICS_REQUEST});
        expect(loading.topics.status).toBe('loading');
        const loaded = reducer(loading, {type: ActionTypes.TOPICS_SUCCESS, data: topicsResponse});
        expect(loaded.topics).toEqual({status: 'loaded', data: topicsResponse, error: null});
        const failed = reducer(loaded, {type: ActionTypes.TOPICS_FAILURE, error: {status: 500, message: 'x'}});
        expect(failed.topics).toEqual({status: 'error', data: null, error: {status: 500, message: 'x'}});
    });

    it('keeps the modal open on a submit failure and clears the error on the next try', () => {
        const failed = run(
            {type: ActionTypes.OPEN_MODAL, postId: POST_ID},
            {type: ActionTypes.SUBMIT_REQUEST},
            {type: ActionTypes.SUBMIT_FAILURE, error: {status: 403, message: 'no'}},
        );
        expect(failed.modal.open).toBe(true);
        expect(failed.submit).toEqual({status: 'error', error: {status: 403, message: 'no'}});
        expect(reducer(failed, {type: ActionTypes.SUBMIT_REQUEST}).submit).toEqual({status: 'submitting', error: null});
    });

    it('closes the modal on success and remembers the escalation for the notice', () => {
        const escalation = makeEscalation();
        const done = run(
            {type: ActionTypes.OPEN_MODAL, postId: POST_ID},
            {type: ActionTypes.SUBMIT_REQUEST},
            {type: ActionTypes.SUBMIT_SUCCESS, escalation, created: false},
        );
        expect(done.modal.open).toBe(false);
        expect(done.notice).toEqual({escalationId: 'esc1', created: false});
        expect(done.escalations.esc1).toEqual(escalation);
        expect(reducer(done, {type: ActionTypes.DISMISS_NOTICE}).notice).toBeNull();
    });

    it('merges WebSocket updates into known escalations only', () => {
        const known = run({type: ActionTypes.ESCALATION_RECEIVED, escalation: makeEscalation()});
        const claimed = reducer(known, escalationUpdated({
            escalation_id: 'esc1', state: 'claimed', owner: 'jason.blais', topic: 'privacy-telemetry', escalation_post_id: '',
        }));
        expect(claimed.escalations.esc1).toMatchObject({state: 'claimed', owner: 'jason.blais', escalation_post_id: 'e'.repeat(26)});
        const released = reducer(claimed, escalationUpdated({
            escalation_id: 'esc1', state: 'open', owner: '', topic: 'privacy-telemetry', escalation_post_id: 'f'.repeat(26),
        }));
        expect(released.escalations.esc1).toMatchObject({state: 'open', owner: null, escalation_post_id: 'f'.repeat(26)});
        const unknown = reducer(released, escalationUpdated({
            escalation_id: 'other', state: 'claimed', owner: 'x', topic: 't', escalation_post_id: '',
        }));
        expect(unknown).toBe(released);
    });

    it('ignores an unknown state value but still takes the owner', () => {
        const known = run({type: ActionTypes.ESCALATION_RECEIVED, escalation: makeEscalation()});
        const next = reducer(known, escalationUpdated({
            escalation_id: 'esc1', state: 'weird', owner: 'bob', topic: '', escalation_post_id: '',
        }));
        expect(next.escalations.esc1).toMatchObject({state: 'open', owner: 'bob'});
    });
});
