import {act, fireEvent, screen} from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import React from 'react';

import {ActionTypes} from 'src/action_types';
import EscalationNotice, {routerPath} from 'src/components/escalation_notice/escalation_notice';
import {ESCALATION_UPDATED_EVENT, handleEscalationUpdated} from 'src/websocket_events';

import {makeEscalation} from 'test/fixtures';
import {makeStore, renderWithHost} from 'test/harness';

function showNotice(permalink = makeEscalation().permalink) {
    const store = makeStore();
    const escalation = makeEscalation({permalink});
    store.dispatch({type: ActionTypes.SUBMIT_SUCCESS, escalation, created: true});
    renderWithHost(<EscalationNotice/>, store);
    return {store, escalation, ws: handleEscalationUpdated(store.dispatch)};
}

afterEach(() => {
    delete window.WebappUtils;
    delete window.basename;
});

describe('EscalationNotice', () => {
    it('renders nothing without an escalation', () => {
        renderWithHost(<EscalationNotice/>, makeStore());
        expect(screen.queryByTestId('escalation-notice')).not.toBeInTheDocument();
    });

    it('follows WebSocket updates: claimed, reassigned, resolved', () => {
        const {ws} = showNotice();
        const state = () => screen.getByTestId('escalation-state');
        expect(state()).toHaveTextContent('Open: waiting for a responder');
        const send = (data: Record<string, string>) => act(() => ws({
            event: ESCALATION_UPDATED_EVENT,
            data: {escalation_id: 'esc1', topic: 'privacy-telemetry', escalation_post_id: '', ...data},
        }));
        send({state: 'claimed', owner: 'jason.blais'});
        expect(state()).toHaveTextContent('Claimed by @jason.blais');
        send({state: 'open', owner: 'ian.tien'});
        expect(state()).toHaveTextContent('Open: assigned to @ian.tien');
        send({state: 'resolved', owner: 'ian.tien'});
        expect(state()).toHaveTextContent('Resolved');
    });

    it('ignores updates for other escalations', () => {
        const {ws} = showNotice();
        act(() => ws({event: ESCALATION_UPDATED_EVENT, data: {escalation_id: 'other', state: 'claimed', owner: 'x'}}));
        expect(screen.getByTestId('escalation-state')).toHaveTextContent('Open: waiting for a responder');
    });

    it('can be dismissed', async () => {
        showNotice();
        await userEvent.setup().click(screen.getByRole('button', {name: 'Dismiss'}));
        expect(screen.queryByTestId('escalation-notice')).not.toBeInTheDocument();
    });

    it('opens a same-origin permalink through the host router without a reload', () => {
        const push = vi.fn();
        window.WebappUtils = {browserHistory: {push}};
        showNotice(`${window.location.origin}/private-core/pl/abc`);
        const link = screen.getByRole('link', {name: 'View escalation'});
        const notPrevented = fireEvent.click(link, {button: 0});
        expect(notPrevented).toBe(false);
        expect(push).toHaveBeenCalledWith('/private-core/pl/abc');
    });

    it('under a subpath, gives the host router the path without it: the host history adds window.basename', () => {
        const push = vi.fn();
        window.basename = '/chat';
        window.WebappUtils = {browserHistory: {push}};
        showNotice(`${window.location.origin}/chat/private-core/pl/abc?x=1#y`);
        const notPrevented = fireEvent.click(screen.getByRole('link', {name: 'View escalation'}), {button: 0});
        expect(notPrevented).toBe(false);
        expect(push).toHaveBeenCalledWith('/private-core/pl/abc?x=1#y');
    });

    it('leaves a same-origin link outside the subpath to the browser', () => {
        const push = vi.fn();
        window.basename = '/chat';
        window.WebappUtils = {browserHistory: {push}};
        showNotice(`${window.location.origin}/other/pl/abc`);
        const link = screen.getByRole('link', {name: 'View escalation'});
        link.addEventListener('click', (e) => e.preventDefault()); // jsdom cannot navigate
        fireEvent.click(link, {button: 0});
        expect(push).not.toHaveBeenCalled();
    });

    it.each([
        ['/team/pl/x', undefined, '/team/pl/x'],
        ['/team/pl/x', '', '/team/pl/x'],
        ['/chat/team/pl/x', '/chat', '/team/pl/x'],
        ['/chat/team/pl/x', '/chat/', '/team/pl/x'],
        ['/chat', '/chat', '/'],
        ['/chatroom/team/pl/x', '/chat', null],
        ['/team/pl/x', '/chat', null],
    ])('routerPath(%s, %s) = %s', (pathname, basename, expected) => {
        expect(routerPath(pathname, basename)).toBe(expected);
    });

    it('leaves other origins and modified clicks to the browser', () => {
        const push = vi.fn();
        window.WebappUtils = {browserHistory: {push}};
        showNotice('http://elsewhere.example.com/private-core/pl/abc');
        const link = screen.getByRole('link', {name: 'View escalation'});
        link.addEventListener('click', (e) => e.preventDefault()); // jsdom cannot navigate
        fireEvent.click(link, {button: 0});
        fireEvent.click(link, {button: 0, ctrlKey: true});
        expect(push).not.toHaveBeenCalled();
    });
});
