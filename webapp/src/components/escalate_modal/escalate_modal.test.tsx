import {act, cleanup, screen, waitFor, within} from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import React from 'react';

import {openEscalateModal, type Dispatch} from 'src/actions';
import Root from 'src/components/root/root';
import {pluginState} from 'src/selectors';

import {
    makeEscalation, makePost, POST_ID, securityWithTemplateVariant, topicsResponse, topicsWith, unstaffedLicensingVariant,
} from 'test/fixtures';
import {makeStore, renderWithHost, scriptFetch, type Reply} from 'test/harness';

const API = '/chat/plugins/community-escalations/api/v1';
const TOPICS = `GET ${API}/topics`;
const CREATE = `POST ${API}/escalations`;

function setup(routes: Record<string, Reply | Reply[]>) {
    const calls = scriptFetch(routes);
    const store = makeStore({siteURL: 'https://example.com/chat', posts: [makePost()]});
    const opener = document.createElement('button');
    opener.textContent = 'Message actions';
    document.body.appendChild(opener);
    opener.focus();
    renderWithHost(<Root/>, store);
    const open = () => act(async () => {
        await (store.dispatch as unknown as Dispatch)(openEscalateModal(POST_ID));
    });
    return {calls, store, opener, open, user: userEvent.setup()};
}

afterEach(() => {
    cleanup();
    document.body.innerHTML = '';
});

describe('Escalate modal: states', () => {
    it('renders nothing until opened', () => {
        setup({[TOPICS]: {status: 200, body: topicsResponse}});
        expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    });

    it('shows a loading state while the topics load, with the dialog focused and labelled', async () => {
        const {store} = setup({[TOPICS]: new Promise<never>(() => undefined)});
        act(() => {
            void (store.dispatch as unknown as Dispatch)(openEscalateModal(POST_ID));
        });
        const dialog = await screen.findByRole('dialog', {name: 'Escalate message'});
        expect(within(dialog).getByTestId('topics-loading')).toHaveTextContent('Loading topics…');
        expect(dialog).toHaveFocus();
        expect(screen.getByRole('button', {name: 'Escalate'})).toBeDisabled();
    });

    it('shows the empty state when the policy has no topics', async () => {
        const {open} = setup({[TOPICS]: {status: 200, body: topicsWith([])}});
        await open();
        expect(screen.getByTestId('topics-empty')).toHaveTextContent('The escalation policy has no topics');
        expect(screen.getByRole('button', {name: 'Escalate'})).toBeDisabled();
    });

    it('shows the server error for the topics and retries on demand', async () => {
        const {open, user, calls} = setup({
            [TOPICS]: [{status: 409, body: {error: 'The plugin is not configured yet.'}}, {status: 200, body: topicsResponse}],
        });
        await open();
        const alert = screen.getByTestId('topics-error');
        expect(alert).toHaveTextContent('The topics could not be loaded. The plugin is not configured yet.');
        await user.click(within(alert).getByRole('button', {name: 'Try again'}));
        expect(await screen.findByRole('radiogroup', {name: 'Topic'})).toBeInTheDocument();
        expect(calls.filter((c) => c.method === 'GET')).toHaveLength(2);
    });

    it('explains a network failure in its own words', async () => {
        const {open} = setup({[TOPICS]: new TypeError('Failed to fetch')});
        await open();
        expect(screen.getByTestId('topics-error')).toHaveTextContent('The server could not be reached.');
    });

    it('lists every topic with title and description, the quoted message and the guidance', async () => {
        const {open} = setup({[TOPICS]: {status: 200, body: topicsResponse}});
        await open();
        const radios = screen.getAllByRole('radio');
        expect(radios).toHaveLength(topicsResponse.topics.length);
        expect(radios.map((r) => r.getAttribute('data-topic'))).toEqual(topicsResponse.topics.map((t) => t.key));
        expect(radios[0]).toHaveAccessibleName('Privacy/Telemetry');
        expect(radios[0]).toHaveAccessibleDescription('Non-regulatory Privacy/Telemetry where opinions are at play more than legal or regulatory issues');
        expect(screen.getByRole('radio', {name: 'Governmental data request'})).toBeInTheDocument();
        expect(screen.getByLabelText('Message being escalated')).toHaveTextContent('Does the desktop app send telemetry');
        expect(screen.getByTestId('guidance')).toHaveTextContent('Not sensitive?' + topicsResponse.non_sensitive_guidance);
        expect(radios[0]).toHaveFocus();
        expect(screen.getByTestId('topic-preview')).toHaveTextContent('Choose a topic to see who will respond.');
    });

    it('falls back to built-in guidance when the server sends none', async () => {
        const {open} = setup({[TOPICS]: {status: 200, body: {...topicsResponse, non_sensitive_guidance: ''}}});
        await open();
        expect(screen.getByTestId('guidance')).toHaveTextContent('Feature requests, troubleshooting and bug reports are not sensitive');
    });
});

describe('Escalate modal: preview and note', () => {
    it('previews the real policy: responders in order, loop-in, default owner, no official response yet', async () => {
        const {open, user} = setup({[TOPICS]: {status: 200, body: topicsResponse}});
        await open();
        await user.click(screen.getByRole('radio', {name: 'Security vulnerabilities'}));
        const preview = screen.getByTestId('topic-preview');
        expect(preview).toHaveTextContent(
            'Approved respondersDaniel Schalla (@daniel.schalla)Katie Wiersgalla (@katie.wiersgalla)Corey Hulen (@corey.hulen)',
        );
        expect(preview).toHaveTextContent('Loop inIan Tien (@ian.tien)Chen-i Lim (@chen-i.lim)Kendra Neidziejko (@kendra.neidziejko)');
        expect(preview).toHaveTextContent('Default ownerDaniel Schalla (@daniel.schalla)');
        expect(preview).toHaveTextContent('Template responseNo official response yet: an approved responder writes one.');
    });

    it('says which loop-in role nobody holds for a topic without loop-ins', async () => {
        const {open, user} = setup({[TOPICS]: {status: 200, body: topicsResponse}});
        await open();
        await user.click(screen.getByRole('radio', {name: /Privacy\/Telemetry/}));
        const preview = screen.getByTestId('topic-preview');
        expect(preview).toHaveTextContent(
            'Approved respondersJason Blais (@jason.blais)Katie Wiersgalla (@katie.wiersgalla)Corey Hulen (@corey.hulen)Ian Tien (@ian.tien)',
        );
        expect(preview).toHaveTextContent('Loop inNo one holds: CRODefault ownerJason Blais (@jason.blais)');
    });

    it('names the roles nobody holds (empty_roles) beside the people who respond', async () => {
        const {open, user} = setup({[TOPICS]: {status: 200, body: topicsResponse}});
        await open();
        await user.click(screen.getByRole('radio', {name: 'Licensing'}));
        const preview = screen.getByTestId('topic-preview');
        expect(preview).toHaveTextContent(/Approved responders.*\(@.*\)No one holds: CROLoop in/);
        await user.click(screen.getByRole('radio', {name: 'Security vulnerabilities'}));
        expect(screen.getByTestId('topic-preview')).not.toHaveTextContent('No one holds');
    });

    it('VARIANT: shows a template response when there is one, and @name for people without a display name', async () => {
        const {open, user} = setup({[TOPICS]: {status: 200, body: topicsWith([securityWithTemplateVariant])}});
        await open();
        await user.click(screen.getByRole('radio', {name: 'Security vulnerabilities'}));
        const preview = screen.getByTestId('topic-preview');
        expect(preview).toHaveTextContent('Template responseVARIANT TEMPLATE: Thanks for the report.');
        expect(preview).not.toHaveTextContent('No official response yet');
        expect(preview).toHaveTextContent('Corey Hulen (@corey.hulen)@sec.oncall');
    });

    it('shows who approved a template approved in the plugin, and when', async () => {
        const approved = {...securityWithTemplateVariant, template_approved: {by: 'katie.wiersgalla', at: Date.UTC(2026, 10, 30, 12)}};
        const {open, user} = setup({[TOPICS]: {status: 200, body: topicsWith([approved])}});
        await open();
        await user.click(screen.getByRole('radio', {name: 'Security vulnerabilities'}));
        expect(screen.getByTestId('template-approved')).toHaveTextContent('Approved by @katie.wiersgalla on Nov 30, 2026');
    });

    it('names no approver for the policy file\'s template', async () => {
        const {open, user} = setup({[TOPICS]: {status: 200, body: topicsWith([securityWithTemplateVariant])}});
        await open();
        await user.click(screen.getByRole('radio', {name: 'Security vulnerabilities'}));
        expect(screen.queryByTestId('template-approved')).toBeNull();
    });

    it('VARIANT: says Nobody where none of the topic\'s people exist on the server', async () => {
        const {open, user} = setup({[TOPICS]: {status: 200, body: topicsWith([unstaffedLicensingVariant])}});
        await open();
        await user.click(screen.getByRole('radio', {name: 'Licensing'}));
        expect(screen.getByTestId('topic-preview')).toHaveTextContent(
            'Approved respondersNo one holds: Dr. Program Management, CRO, CEOLoop inNobodyDefault ownerNobody');
    });

    it('caps the note at the server limit of 1000 characters and counts it', async () => {
        const {open} = setup({[TOPICS]: {status: 200, body: topicsResponse}});
        await open();
        const note = screen.getByLabelText('Note for the responders (optional)');
        expect(note).toHaveAttribute('maxLength', '1000');
        expect(note).toHaveAccessibleDescription(/Leave out personal data/);
        act(() => {
            const setter = Object.getOwnPropertyDescriptor(HTMLTextAreaElement.prototype, 'value')!.set!;
            setter.call(note, 'x'.repeat(1200));
            note.dispatchEvent(new Event('input', {bubbles: true}));
        });
        expect((note as HTMLTextAreaElement).value).toHaveLength(1000);
        expect(screen.getByTestId('note-counter')).toHaveTextContent('1000/1000');
    });
});

describe('Escalate modal: keyboard', () => {
    it('moves among topics with the arrow keys, Home and End, wrapping around', async () => {
        const {open, user} = setup({[TOPICS]: {status: 200, body: topicsResponse}});
        await open();
        const radios = screen.getAllByRole('radio');
        await user.keyboard('{ArrowDown}');
        expect(radios[0]).toHaveAttribute('aria-checked', 'true');
        await user.keyboard('{ArrowDown}');
        expect(radios[1]).toHaveAttribute('aria-checked', 'true');
        expect(radios[1]).toHaveFocus();
        expect(radios[1]).toHaveAttribute('tabindex', '0');
        expect(radios[0]).toHaveAttribute('tabindex', '-1');
        const last = radios.length - 1;
        await user.keyboard('{End}');
        expect(radios[last]).toHaveAttribute('aria-checked', 'true');
        await user.keyboard('{ArrowDown}');
        expect(radios[0]).toHaveAttribute('aria-checked', 'true');
        await user.keyboard('{ArrowUp}');
        expect(radios[last]).toHaveAttribute('aria-checked', 'true');
        await user.keyboard('{Home}');
        expect(radios[0]).toHaveAttribute('aria-checked', 'true');
    });

    it('Enter without a topic asks for one instead of submitting', async () => {
        const {open, user, calls} = setup({[TOPICS]: {status: 200, body: topicsResponse}});
        await open();
        await user.keyboard('{Enter}');
        expect(screen.getByRole('alert')).toHaveTextContent('Choose a topic first.');
        expect(calls.filter((c) => c.method === 'POST')).toHaveLength(0);
    });

    it('Enter submits the chosen topic; Enter in the note is a new line, Ctrl+Enter submits', async () => {
        const {open, user, calls} = setup({
            [TOPICS]: {status: 200, body: topicsResponse},
            [CREATE]: {status: 201, body: makeEscalation()},
        });
        await open();
        await user.keyboard('{ArrowDown}');
        await user.click(screen.getByLabelText('Note for the responders (optional)'));
        await user.keyboard('line one{Enter}line two');
        expect(calls.filter((c) => c.method === 'POST')).toHaveLength(0);
        await user.keyboard('{Control>}{Enter}{/Control}');
        await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
        expect(calls.find((c) => c.method === 'POST')?.body).toEqual({
            post_id: POST_ID, topic: 'privacy-telemetry', note: 'line one\nline two', channel_id: makePost().channel_id,
        });
    });

    it('Escape closes and gives the focus back to where it was', async () => {
        const {open, user, opener} = setup({[TOPICS]: {status: 200, body: topicsResponse}});
        await open();
        expect(screen.getByRole('dialog')).toBeInTheDocument();
        await user.keyboard('{Escape}');
        expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
        expect(opener).toHaveFocus();
    });

    it('keeps Tab inside the dialog', async () => {
        const {open, user} = setup({[TOPICS]: {status: 200, body: topicsResponse}});
        await open();
        await user.click(screen.getByRole('radio', {name: /Privacy/}));
        const close = screen.getByRole('button', {name: 'Close'});
        const submit = screen.getByRole('button', {name: 'Escalate'});
        submit.focus();
        await user.tab();
        expect(close).toHaveFocus();
        await user.tab({shift: true});
        expect(submit).toHaveFocus();
    });

    it('Cancel and the close button close the modal', async () => {
        const {open, user} = setup({[TOPICS]: {status: 200, body: topicsResponse}});
        await open();
        await user.click(screen.getByRole('button', {name: 'Cancel'}));
        expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
        await open();
        await user.click(screen.getByRole('button', {name: 'Close'}));
        expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    });
});

describe('Escalate modal: submit', () => {
    it('on 201 closes the modal and links to the new escalation', async () => {
        const escalation = makeEscalation();
        const {open, user, store, calls} = setup({
            [TOPICS]: {status: 200, body: topicsResponse},
            [CREATE]: {status: 201, body: escalation},
        });
        await open();
        await user.click(screen.getByRole('radio', {name: /Privacy/}));
        await user.click(screen.getByRole('button', {name: 'Escalate'}));
        await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
        const notice = screen.getByTestId('escalation-notice');
        expect(notice).toHaveTextContent('Escalated under Privacy/Telemetry.');
        expect(notice).toHaveTextContent('Open: waiting for a responder');
        expect(within(notice).getByRole('link', {name: 'View escalation'})).toHaveAttribute('href', escalation.permalink);
        expect(calls.find((c) => c.method === 'POST')?.body).toEqual({post_id: POST_ID, topic: 'privacy-telemetry', channel_id: makePost().channel_id});
        expect(pluginState(store.getState()).modal.open).toBe(false);
    });

    it('on 200 (already escalated) links to the existing escalation', async () => {
        const existing = makeEscalation({state: 'claimed', owner: 'jason.blais'});
        const {open, user} = setup({
            [TOPICS]: {status: 200, body: topicsResponse},
            [CREATE]: {status: 200, body: existing},
        });
        await open();
        await user.click(screen.getByRole('radio', {name: /Privacy/}));
        await user.click(screen.getByRole('button', {name: 'Escalate'}));
        const notice = await screen.findByTestId('escalation-notice');
        expect(notice).toHaveTextContent('This message was already escalated under Privacy/Telemetry.');
        expect(notice).toHaveTextContent('Claimed by @jason.blais');
        expect(within(notice).getByRole('link', {name: 'View the existing escalation'})).toHaveAttribute('href', existing.permalink);
    });

    it('shows the server error as sent and keeps the modal open with the choice and note', async () => {
        const {open, user} = setup({
            [TOPICS]: {status: 200, body: topicsResponse},
            [CREATE]: {status: 403, body: {error: 'You cannot read the channel of that post.'}},
        });
        await open();
        await user.click(screen.getByRole('radio', {name: /Security/}));
        await user.type(screen.getByLabelText('Note for the responders (optional)'), 'please look');
        await user.click(screen.getByRole('button', {name: 'Escalate'}));
        expect(await screen.findByTestId('submit-error')).toHaveTextContent(/^You cannot read the channel of that post\.$/);
        expect(screen.getByRole('dialog')).toBeInTheDocument();
        expect(screen.getByRole('radio', {name: /Security/})).toHaveAttribute('aria-checked', 'true');
        expect(screen.getByLabelText('Note for the responders (optional)')).toHaveValue('please look');
        expect(screen.queryByTestId('escalation-notice')).not.toBeInTheDocument();
    });

    it('names the status when the server sends no message', async () => {
        const {open, user} = setup({
            [TOPICS]: {status: 200, body: topicsResponse},
            [CREATE]: {status: 500, raw: 'oops'},
        });
        await open();
        await user.click(screen.getByRole('radio', {name: /Privacy/}));
        await user.click(screen.getByRole('button', {name: 'Escalate'}));
        expect(await screen.findByTestId('submit-error')).toHaveTextContent('The request failed (HTTP 500).');
    });

    it('disables the buttons while submitting and sends once', async () => {
        let release: (r: Response) => void = () => undefined;
        const pending = new Promise<Response>((resolve) => {
            release = resolve;
        });
        const {open, user, calls} = setup({
            [TOPICS]: {status: 200, body: topicsResponse},
            [CREATE]: pending as unknown as Promise<never>,
        });
        await open();
        await user.click(screen.getByRole('radio', {name: /Privacy/}));
        await user.click(screen.getByRole('button', {name: 'Escalate'}));
        const busy = screen.getByRole('button', {name: 'Escalating…'});
        expect(busy).toBeDisabled();
        await user.keyboard('{Enter}');
        expect(calls.filter((c) => c.method === 'POST')).toHaveLength(1);
        await act(async () => {
            release(new Response(JSON.stringify(makeEscalation()), {status: 201}));
            await pending;
        });
        await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
    });
});

describe('Escalate modal: host shortcuts', () => {
    it('keeps its keys from the host document listeners', async () => {
        const {open, user} = setup({[TOPICS]: {status: 200, body: topicsResponse}});
        await open();
        const seen: string[] = [];
        const listener = (e: KeyboardEvent) => seen.push(e.key);
        document.addEventListener('keydown', listener);
        try {
            await user.keyboard('{ArrowDown}a{Escape}');
        } finally {
            document.removeEventListener('keydown', listener);
        }
        expect(seen).toEqual([]);
        expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    });
});
