import {ActionTypes} from 'src/action_types';
import {manifest} from 'src/manifest';
import {ESCALATION_UPDATED_EVENT, handleEscalationUpdated} from 'src/websocket_events';

describe('escalation_updated WebSocket handler', () => {
    it('listens to custom_<plugin id>_escalation_updated', () => {
        expect(ESCALATION_UPDATED_EVENT).toBe(`custom_${manifest.id}_escalation_updated`);
    });

    it('dispatches the update with the payload normalised', () => {
        const dispatch = vi.fn();
        handleEscalationUpdated(dispatch)({
            event: ESCALATION_UPDATED_EVENT,
            data: {escalation_id: 'esc1', state: 'claimed', owner: 'jason.blais', topic: 'privacy-telemetry', escalation_post_id: 'e1'},
        });
        expect(dispatch).toHaveBeenCalledWith({
            type: ActionTypes.ESCALATION_UPDATED,
            payload: {escalation_id: 'esc1', state: 'claimed', owner: 'jason.blais', topic: 'privacy-telemetry', escalation_post_id: 'e1'},
        });
    });

    it('fills missing optional fields with empty strings', () => {
        const dispatch = vi.fn();
        handleEscalationUpdated(dispatch)({event: 'x', data: {escalation_id: 'esc1', state: 'open'}});
        expect(dispatch).toHaveBeenCalledWith({
            type: ActionTypes.ESCALATION_UPDATED,
            payload: {escalation_id: 'esc1', state: 'open', owner: '', topic: '', escalation_post_id: ''},
        });
    });

    it.each([null, 'text', {}, {escalation_id: '', state: 'open'}, {escalation_id: 'x'}])('ignores a malformed payload %j', (data) => {
        const dispatch = vi.fn();
        handleEscalationUpdated(dispatch)({event: 'x', data});
        expect(dispatch).not.toHaveBeenCalled();
    });
});
