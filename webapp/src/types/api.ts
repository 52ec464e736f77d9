/**
 * Shapes of the plugin's HTTP API (`docs/http-api.md`), as the webapp receives them.
 */

export interface Person {
    username: string;
    display_name: string;
}

export interface Topic {
    key: string;
    title: string;
    description: string;
    responders: Person[];
    loop_in: Person[];
    default_owner: Person | null;
    template_response: string | null;
    /** Set when the template was approved in the plugin (not the policy file's): who, when (ms). */
    template_approved?: {by: string; at: number} | null;
    /** Roles of the topic with nobody who can be mentioned, in policy order (e.g. `["CRO"]`). */
    empty_roles?: {responders: string[]; loop_in: string[]};
}

export interface TopicsResponse {
    policy: {version: string; title: string};
    non_sensitive_guidance: string;
    topics: Topic[];
}

export type EscalationState = 'open' | 'claimed' | 'resolved';

export interface Escalation {
    id: string;
    topic: string;
    topic_title: string;
    state: EscalationState;
    owner: string | null;
    default_owner: string | null;
    outcome: 'responded' | 'no_response_needed' | null;
    post_id: string;
    /** The link of an escalation raised outside Mattermost, as the post shows it ("" for a post). */
    source_url?: string;
    escalation_post_id: string;
    permalink: string;
    created_by: string;
    created_at: number;
    updated_at: number;
}

export interface CreateEscalationRequest {
    post_id: string;
    topic: string;
    note?: string;

    /** The post's channel as this client knows it: the server reads it beside the post (one
     * round of reads fewer) and uses it only if the post turns out to be in it. */
    channel_id?: string;
}

/** `POST /api/v1/escalations/links`: a link raised outside Mattermost, instead of a post. */
export interface CreateLinkEscalationRequest {
    url: string;
    topic: string;
    summary: string;
    note?: string;
    channel_id?: string;
}

/** `201` = created, `200` = the post (or link) was already escalated under that topic. */
export interface CreateEscalationResult {
    escalation: Escalation;
    created: boolean;
}

/** Payload of `custom_<plugin id>_escalation_updated` (all strings; `owner` is "" when unowned). */
export interface EscalationUpdatedPayload {
    escalation_id: string;
    state: string;
    owner: string;
    /** `"true"` once the owner has acknowledged it (Claim), else `"false"` (the notice does not
     * show it; optional, so a payload without it is still one). */
    acknowledged?: string;
    topic: string;
    escalation_post_id: string;
}

/** The server's cap on `note` (characters), per the API contract. */
export const NOTE_MAX_CHARS = 1000;
/** The server's caps on a link and its summary (characters). */
export const URL_MAX_CHARS = 2000;
export const SUMMARY_MAX_CHARS = 500;
