/**
 * Every user-visible string, as react-intl message descriptors with English defaults.
 *
 * The host renders plugin components inside its own `IntlProvider` and exposes `ReactIntl`, which the
 * build maps to `window.ReactIntl`; `registerTranslations` (see `translations.ts`) adds these ids to
 * the host's dictionary for the user's locale.
 */
import {defineMessages} from 'react-intl';

export const messages = defineMessages({
    menuEscalate: {id: 'escalations.menu.escalate', defaultMessage: 'Escalate'},
    title: {id: 'escalations.modal.title', defaultMessage: 'Escalate message'},
    close: {id: 'escalations.modal.close', defaultMessage: 'Close'},
    headerButton: {id: 'escalations.header.button', defaultMessage: 'Escalate a link'},
    headerTooltip: {
        id: 'escalations.header.tooltip',
        defaultMessage: 'Escalate something raised outside Mattermost (a GitHub issue, a post elsewhere)',
    },
    linkTitle: {id: 'escalations.modal.link_title', defaultMessage: 'Escalate a link'},
    linkIntro: {
        id: 'escalations.modal.link_intro',
        defaultMessage: 'Send something raised outside Mattermost to the people approved to respond on a sensitive topic.',
    },
    linkLabel: {id: 'escalations.link.label', defaultMessage: 'Link'},
    linkHelp: {
        id: 'escalations.link.help',
        defaultMessage: 'An http or https link. Links to sites not on the public allow-list are shown redacted.',
    },
    summaryLabel: {id: 'escalations.summary.label', defaultMessage: 'Summary'},
    summaryHelp: {
        id: 'escalations.summary.help',
        defaultMessage: 'What it is about, in a sentence or two. Leave out personal data.',
    },
    linkRequired: {id: 'escalations.link.required', defaultMessage: 'Give the link and a summary.'},
    failedTitle: {id: 'escalations.modal.failed_title', defaultMessage: 'The Escalate dialog failed'},
    failedBody: {
        id: 'escalations.modal.failed_body',
        defaultMessage: 'Nothing was escalated. Close this and try again; if it fails again, tell your system admin ({error}).',
    },
    intro: {
        id: 'escalations.modal.intro',
        defaultMessage: 'Send this message to the people approved to respond on a sensitive topic.',
    },
    quotedMessage: {id: 'escalations.modal.quoted_message', defaultMessage: 'Message being escalated'},
    loading: {id: 'escalations.modal.loading', defaultMessage: 'Loading topics…'},
    empty: {
        id: 'escalations.modal.empty',
        defaultMessage: 'The escalation policy has no topics. Ask a System Admin to check it with /escalation policy.',
    },
    loadError: {id: 'escalations.modal.load_error', defaultMessage: 'The topics could not be loaded.'},
    retry: {id: 'escalations.modal.retry', defaultMessage: 'Try again'},
    topicsLabel: {id: 'escalations.modal.topics_label', defaultMessage: 'Topic'},
    guidanceTitle: {id: 'escalations.modal.guidance_title', defaultMessage: 'Not sensitive?'},
    guidanceDefault: {
        id: 'escalations.modal.guidance_default',
        defaultMessage: 'Feature requests, troubleshooting and bug reports are not sensitive: anyone may respond, no escalation needed.',
    },
    previewLabel: {id: 'escalations.preview.label', defaultMessage: 'Who responds'},
    previewEmpty: {id: 'escalations.preview.empty', defaultMessage: 'Choose a topic to see who will respond.'},
    responders: {id: 'escalations.preview.responders', defaultMessage: 'Approved responders'},
    loopIn: {id: 'escalations.preview.loop_in', defaultMessage: 'Loop in'},
    defaultOwner: {id: 'escalations.preview.default_owner', defaultMessage: 'Default owner'},
    templateResponse: {id: 'escalations.preview.template_response', defaultMessage: 'Template response'},
    noTemplate: {
        id: 'escalations.preview.no_template',
        defaultMessage: 'No official response yet: an approved responder writes one.',
    },
    templateApproved: {
        id: 'escalations.preview.template_approved',
        defaultMessage: 'Approved by @{username} on {date}',
    },
    nobody: {id: 'escalations.preview.nobody', defaultMessage: 'Nobody'},
    emptyRoles: {id: 'escalations.preview.empty_roles', defaultMessage: 'No one holds: {roles}'},
    person: {id: 'escalations.preview.person', defaultMessage: '{displayName} (@{username})'},
    noteLabel: {id: 'escalations.note.label', defaultMessage: 'Note for the responders (optional)'},
    noteHelp: {
        id: 'escalations.note.help',
        defaultMessage: 'Add context the responders need. Leave out personal data: they can open the original message.',
    },
    noteCounter: {id: 'escalations.note.counter', defaultMessage: '{count}/{max}'},
    keyboardHint: {
        id: 'escalations.modal.keyboard_hint',
        defaultMessage: 'Arrow keys choose a topic · Enter escalates · Esc closes',
    },
    chooseTopicFirst: {id: 'escalations.modal.choose_topic', defaultMessage: 'Choose a topic first.'},
    cancel: {id: 'escalations.modal.cancel', defaultMessage: 'Cancel'},
    submit: {id: 'escalations.modal.submit', defaultMessage: 'Escalate'},
    submitting: {id: 'escalations.modal.submitting', defaultMessage: 'Escalating…'},
    errorNetwork: {
        id: 'escalations.error.network',
        defaultMessage: 'The server could not be reached. Check your connection and try again.',
    },
    errorStatus: {
        id: 'escalations.error.status',
        defaultMessage: 'The request failed (HTTP {status}).',
    },
    noticeCreated: {id: 'escalations.notice.created', defaultMessage: 'Escalated under {topic}.'},
    noticeExisting: {
        id: 'escalations.notice.existing',
        defaultMessage: 'This message was already escalated under {topic}.',
    },
    noticeExistingLink: {
        id: 'escalations.notice.existing_link',
        defaultMessage: 'This link was already escalated under {topic}.',
    },
    noticeView: {id: 'escalations.notice.view', defaultMessage: 'View escalation'},
    noticeViewExisting: {id: 'escalations.notice.view_existing', defaultMessage: 'View the existing escalation'},
    noticeDismiss: {id: 'escalations.notice.dismiss', defaultMessage: 'Dismiss'},
    stateOpen: {id: 'escalations.state.open', defaultMessage: 'Open: waiting for a responder'},
    stateOpenOwner: {id: 'escalations.state.open_owner', defaultMessage: 'Open: assigned to @{owner}'},
    stateClaimed: {id: 'escalations.state.claimed', defaultMessage: 'Claimed by @{owner}'},
    stateResolved: {id: 'escalations.state.resolved', defaultMessage: 'Resolved'},
});

export type MessageKey = keyof typeof messages;
