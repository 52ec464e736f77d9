/**
 * WebSocket handling: the server publishes `custom_<plugin id>_escalation_updated` on every change of
 * an escalation; the handler merges it into the escalations we show so open views stay current.
 */
import {escalationUpdated, type Dispatch} from 'src/actions';
import {manifest} from 'src/manifest';
import type {EscalationUpdatedPayload} from 'src/types/api';
import type {WebSocketMessage} from 'src/types/registry';

export const ESCALATION_UPDATED_EVENT = `custom_${manifest.id}_escalation_updated`;

function isPayload(data: unknown): data is EscalationUpdatedPayload {
    if (typeof data !== 'object' || data === null) {
        return false;
    }
    const record = data as Record<string, unknown>;
    return typeof record.escalation_id === 'string' && record.escalation_id !== '' &&
        typeof record.state === 'string';
}

export function handleEscalationUpdated(dispatch: Dispatch) {
    return (msg: WebSocketMessage): void => {
        if (!isPayload(msg.data)) {
            return;
        }
        const data = msg.data;
        dispatch(escalationUpdated({
            escalation_id: data.escalation_id,
            state: data.state,
            owner: typeof data.owner === 'string' ? data.owner : '',
            topic: typeof data.topic === 'string' ? data.topic : '',
            escalation_post_id: typeof data.escalation_post_id === 'string' ? data.escalation_post_id : '',
        }));
    };
}
