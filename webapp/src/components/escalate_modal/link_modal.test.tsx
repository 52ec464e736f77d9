import {act, cleanup, screen, waitFor} from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import React from 'react';

import {openLinkModal, type Dispatch} from 'src/actions';
import Root from 'src/components/root/root';
import {pluginState} from 'src/selectors';

import {makeEscalation, topicsResponse} from 'test/fixtures';
import {makeStore, renderWithHost, scriptFetch, type Reply} from 'test/harness';

const API = '/chat/plugins/community-escalations/api/v1';
const TOPICS = `GET ${API}/topics`;
const CREATE_LINK = `POST ${API}/escalations/links`;
const CHANNEL = 'c'.repeat(26);
const ISSUE = 'https://github.com/mattermost/mattermost/issues/1';

/** Pastes instead of typing key by key: the same change events, fast enough on a loaded machine. */
async function fill(user: ReturnType<typeof userEvent.setup>, field: HTMLElement, text: string) {
    await user.click(field);
    await user.paste(text);
}

function setup(routes: Record<string, Reply | Reply[]>) {
    const calls = scriptFetch(routes);
    const store = makeStore({siteURL: 'https://example.com/chat'});
    renderWithHost(<Root/>, store);
    const open = () => act(async () => {
        await (store.dispatch as unknown as Dispatch)(openLinkModal(CHANNEL));
    });
    return {calls, store, open, user: userEvent.setup()};
}

afterEach(() => {
    cleanup();
    document.body.innerHTML = '';
});

describe('Escalate modal for a link raised outside Mattermost', () => {
    it('asks for the link and a summary instead of quoting a message, the link first', async () => {
        const {open} = setup({[TOPICS]: {status: 200, body: topicsResponse}});
        await open();
        expect(screen.getByRole('dialog', {name: 'Escalate a link'})).toBeInTheDocument();
        expect(screen.getByLabelText('Link')).toHaveFocus();
        expect(screen.getByLabelText('Summary')).toHaveAttribute('maxLength', '500');
        expect(screen.queryByRole('blockquote')).not.toBeInTheDocument();
        expect(screen.getByRole('radiogroup', {name: 'Topic'})).toBeInTheDocument();
    });

    it('posts the link, topic, summary, note and channel, and the notice follows the escalation', async () => {
        const escalation = makeEscalation({post_id: '', source_url: ISSUE});
        const {open, user, calls} = setup({
            [TOPICS]: {status: 200, body: topicsResponse},
            [CREATE_LINK]: {status: 201, body: escalation},
        });
        await open();
        await fill(user, screen.getByLabelText('Link'), ` ${ISSUE} `);
        await fill(user, screen.getByLabelText('Summary'), 'A telemetry question on GitHub');
        await user.click(screen.getByRole('radio', {name: /Privacy/}));
        await fill(user, screen.getByLabelText('Note for the responders (optional)'), 'urgent');
        await user.click(screen.getByRole('button', {name: 'Escalate'}));
        await waitFor(() => expect(screen.queryByRole('dialog')).not.toBeInTheDocument());
        expect(calls.find((c) => c.method === 'POST')?.body).toEqual({
            url: ISSUE, topic: 'privacy-telemetry', summary: 'A telemetry question on GitHub', note: 'urgent', channel_id: CHANNEL,
        });
        expect(screen.getByTestId('escalation-notice')).toHaveTextContent('Escalated under');
    });

    it('asks for the link and the summary before sending anything', async () => {
        const {open, user, calls} = setup({[TOPICS]: {status: 200, body: topicsResponse}});
        await open();
        await user.click(screen.getByRole('radio', {name: /Privacy/}));
        await user.click(screen.getByRole('button', {name: 'Escalate'}));
        expect(screen.getByTestId('submit-error')).toHaveTextContent('Give the link and a summary.');
        expect(calls.filter((c) => c.method === 'POST')).toHaveLength(0);
    });

    it('shows the server refusal as sent (a bad link, not allowed to escalate) and stays open', async () => {
        const {open, user, store} = setup({
            [TOPICS]: {status: 200, body: topicsResponse},
            [CREATE_LINK]: [
                {status: 400, body: {error: 'Only http and https links can be escalated.'}},
                {status: 403, body: {error: 'Only members of the private-core team can escalate posts.'}},
            ],
        });
        await open();
        await fill(user, screen.getByLabelText('Link'), 'ftp://example.org/x');
        await fill(user, screen.getByLabelText('Summary'), 'x');
        await user.click(screen.getByRole('radio', {name: /Privacy/}));
        await user.click(screen.getByRole('button', {name: 'Escalate'}));
        expect(await screen.findByTestId('submit-error')).toHaveTextContent('Only http and https links can be escalated.');
        await user.click(screen.getByRole('button', {name: 'Escalate'}));
        await waitFor(() => expect(screen.getByTestId('submit-error')).toHaveTextContent('private-core team'));
        expect(pluginState(store.getState()).modal.open).toBe(true);
        expect(screen.getByLabelText('Link')).toHaveValue('ftp://example.org/x');
    });

    it('on 200 says the link was already escalated', async () => {
        const {open, user} = setup({
            [TOPICS]: {status: 200, body: topicsResponse},
            [CREATE_LINK]: {status: 200, body: makeEscalation({post_id: '', source_url: ISSUE})},
        });
        await open();
        await fill(user, screen.getByLabelText('Link'), ISSUE);
        await fill(user, screen.getByLabelText('Summary'), 'again');
        await user.click(screen.getByRole('radio', {name: /Privacy/}));
        await user.keyboard('{Enter}');
        expect(await screen.findByTestId('escalation-notice')).toHaveTextContent('This link was already escalated under');
    });
});
