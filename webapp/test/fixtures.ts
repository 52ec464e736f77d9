/** Test data shaped like the plugin's HTTP API (docs/http-api.md). */
import type {Post} from '@mattermost/types/posts';

import type {Escalation, Topic, TopicsResponse} from 'src/types/api';

export const POST_ID = 'p'.repeat(26);

export function makePost(overrides: Partial<Post> = {}): Post {
    return {
        id: POST_ID,
        create_at: 1700000000000,
        update_at: 1700000000000,
        edit_at: 0,
        delete_at: 0,
        is_pinned: false,
        user_id: 'u'.repeat(26),
        channel_id: 'c'.repeat(26),
        root_id: '',
        original_id: '',
        message: 'Does the desktop app send telemetry about which channels I open?',
        type: '',
        props: {},
        hashtags: '',
        pending_post_id: '',
        reply_count: 0,
        metadata: {} as Post['metadata'],
        ...overrides,
    };
}

export const privacyTopic: Topic = {
    key: 'privacy-telemetry',
    title: 'Privacy/Telemetry',
    description: 'Non-regulatory Privacy/Telemetry where opinions are at play more than legal or regulatory issues',
    responders: [{username: 'jason.blais', display_name: 'Jason Blais'}],
    loop_in: [{username: 'ian.tien', display_name: 'Ian Tien'}],
    default_owner: {username: 'jason.blais', display_name: 'Jason Blais'},
    template_response: null,
};

export const securityTopic: Topic = {
    key: 'security-vulnerabilities',
    title: 'Security vulnerabilities',
    description: 'Reports of possible security vulnerabilities',
    responders: [
        {username: 'sec.lead', display_name: 'Security Lead'},
        {username: 'sec.eng', display_name: 'sec.eng'},
    ],
    loop_in: [],
    default_owner: {username: 'sec.lead', display_name: 'Security Lead'},
    template_response: 'Thanks for the report. Please email security@example.com with the details.',
};

export const licensingTopic: Topic = {
    key: 'licensing',
    title: 'Licensing',
    description: 'Questions about licences',
    responders: [],
    loop_in: [],
    default_owner: null,
    template_response: null,
};

export const topicsResponse: TopicsResponse = {
    policy: {version: '2020-community-response', title: 'Community response policy'},
    non_sensitive_guidance: 'Feature requests, troubleshooting and bug reports: anyone may respond.',
    topics: [privacyTopic, securityTopic, licensingTopic],
};

export function makeEscalation(overrides: Partial<Escalation> = {}): Escalation {
    return {
        id: 'esc1',
        topic: 'privacy-telemetry',
        topic_title: 'Privacy/Telemetry',
        state: 'open',
        owner: null,
        default_owner: 'jason.blais',
        outcome: null,
        post_id: POST_ID,
        escalation_post_id: 'e'.repeat(26),
        permalink: `http://mm.example.com/private-core/pl/${'e'.repeat(26)}`,
        created_by: 'alice',
        created_at: 1700000000000,
        updated_at: 1700000000000,
        ...overrides,
    };
}
