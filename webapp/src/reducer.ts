/**
 * The plugin's slice of the host store, mounted at `state['plugins-<id>']` by `registerReducer`.
 *
 * - `modal`: whether the Escalate modal is open, and for which post, or (`link`) for a link raised
 *   outside Mattermost, from the channel whose header button opened it;
 * - `topics`: the last `GET /api/v1/topics` answer and its loading state;
 * - `submit`: the state of the current `POST /api/v1/escalations`;
 * - `notice`: the escalation just created (or found) that the notice links to;
 * - `escalations`: every escalation this client knows, by id, kept current by WebSocket events.
 */
import type {AnyAction} from 'redux';

import type {Escalation, EscalationState, TopicsResponse} from 'src/types/api';
import {ActionTypes} from 'src/action_types';

export type LoadStatus = 'idle' | 'loading' | 'loaded' | 'error';

export interface PluginState {
    modal: {open: boolean; postId: string | null; link?: {channelId: string}};
    topics: {status: LoadStatus; data: TopicsResponse | null; error: {status: number; message: string} | null};
    submit: {status: 'idle' | 'submitting' | 'error'; error: {status: number; message: string} | null};
    notice: {escalationId: string; created: boolean} | null;
    escalations: Record<string, Escalation>;
}

export const initialState: PluginState = {
    modal: {open: false, postId: null},
    topics: {status: 'idle', data: null, error: null},
    submit: {status: 'idle', error: null},
    notice: null,
    escalations: {},
};

const STATES: readonly EscalationState[] = ['open', 'claimed', 'resolved'];

function applyUpdate(state: PluginState, action: AnyAction): PluginState {
    const {escalation_id: id, state: newState, owner, escalation_post_id: postId} = action.payload as {
        escalation_id: string; state: string; owner: string; escalation_post_id: string;
    };
    const known = state.escalations[id];
    if (!known) {
        return state;
    }
    const updated: Escalation = {
        ...known,
        state: STATES.includes(newState as EscalationState) ? (newState as EscalationState) : known.state,
        owner: owner || null,
        escalation_post_id: postId || known.escalation_post_id,
    };
    return {...state, escalations: {...state.escalations, [id]: updated}};
}

export default function reducer(state: PluginState = initialState, action: AnyAction): PluginState {
    switch (action.type) {
    case ActionTypes.OPEN_MODAL:
        return {
            ...state,
            modal: {open: true, postId: action.postId as string},
            submit: initialState.submit,
        };
    case ActionTypes.OPEN_LINK_MODAL:
        return {
            ...state,
            modal: {open: true, postId: null, link: {channelId: action.channelId as string}},
            submit: initialState.submit,
        };
    case ActionTypes.CLOSE_MODAL:
        return {...state, modal: initialState.modal, submit: initialState.submit};
    case ActionTypes.TOPICS_REQUEST:
        return {...state, topics: {...state.topics, status: 'loading', error: null}};
    case ActionTypes.TOPICS_SUCCESS:
        return {...state, topics: {status: 'loaded', data: action.data as TopicsResponse, error: null}};
    case ActionTypes.TOPICS_FAILURE:
        return {...state, topics: {status: 'error', data: null, error: action.error as PluginState['topics']['error']}};
    case ActionTypes.SUBMIT_REQUEST:
        return {...state, submit: {status: 'submitting', error: null}};
    case ActionTypes.SUBMIT_FAILURE:
        return {...state, submit: {status: 'error', error: action.error as PluginState['submit']['error']}};
    case ActionTypes.SUBMIT_SUCCESS: {
        const escalation = action.escalation as Escalation;
        return {
            ...state,
            modal: initialState.modal,
            submit: initialState.submit,
            notice: {escalationId: escalation.id, created: Boolean(action.created)},
            escalations: {...state.escalations, [escalation.id]: escalation},
        };
    }
    case ActionTypes.ESCALATION_RECEIVED: {
        const escalation = action.escalation as Escalation;
        return {...state, escalations: {...state.escalations, [escalation.id]: escalation}};
    }
    case ActionTypes.ESCALATION_UPDATED:
        return applyUpdate(state, action);
    case ActionTypes.DISMISS_NOTICE:
        return {...state, notice: null};
    default:
        return state;
    }
}
