/** Action type names, prefixed with the plugin id so they cannot collide in the host store. */
import {manifest} from 'src/manifest';

const prefix = `${manifest.id}/`;

export const ActionTypes = {
    OPEN_MODAL: `${prefix}OPEN_MODAL`,
    OPEN_LINK_MODAL: `${prefix}OPEN_LINK_MODAL`,
    CLOSE_MODAL: `${prefix}CLOSE_MODAL`,
    TOPICS_REQUEST: `${prefix}TOPICS_REQUEST`,
    TOPICS_SUCCESS: `${prefix}TOPICS_SUCCESS`,
    TOPICS_FAILURE: `${prefix}TOPICS_FAILURE`,
    SUBMIT_REQUEST: `${prefix}SUBMIT_REQUEST`,
    SUBMIT_SUCCESS: `${prefix}SUBMIT_SUCCESS`,
    SUBMIT_FAILURE: `${prefix}SUBMIT_FAILURE`,
    ESCALATION_RECEIVED: `${prefix}ESCALATION_RECEIVED`,
    ESCALATION_UPDATED: `${prefix}ESCALATION_UPDATED`,
    DISMISS_NOTICE: `${prefix}DISMISS_NOTICE`,
} as const;
