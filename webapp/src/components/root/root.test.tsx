import {act, screen} from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import React from 'react';
import {vi} from 'vitest';

import {ActionTypes} from 'src/action_types';
import Root from 'src/components/root/root';
import {pluginState} from 'src/selectors';

import {makeEscalation, POST_ID} from 'test/fixtures';
import {makeStore, renderWithHost} from 'test/harness';

// A modal that fails while rendering, as the old one did on React 17 (no `useId`).
vi.mock('src/components/escalate_modal/escalate_modal', () => ({
    default: function BrokenModal(): React.ReactElement {
        throw new Error('useId is not a function');
    },
}));

describe('Root: a failing modal', () => {
    it('is contained: a dialog says so, Close closes the modal in the reducer, the notice stays', async () => {
        vi.spyOn(console, 'error').mockImplementation(() => undefined); // React reports the caught error
        const store = makeStore();
        store.dispatch({type: ActionTypes.SUBMIT_SUCCESS, escalation: makeEscalation(), created: true});
        renderWithHost(<Root/>, store);
        act(() => {
            store.dispatch({type: ActionTypes.OPEN_MODAL, postId: POST_ID});
        });

        const dialog = screen.getByRole('alertdialog', {name: 'The Escalate dialog failed'});
        expect(dialog).toHaveTextContent('Nothing was escalated.');
        expect(dialog).toHaveTextContent('(useId is not a function)');
        expect(screen.getByTestId('escalation-notice')).toBeInTheDocument();

        await userEvent.setup().click(screen.getByRole('button', {name: 'Close'}));
        expect(pluginState(store.getState()).modal.open).toBe(false);
        expect(screen.queryByRole('alertdialog')).not.toBeInTheDocument();
        expect(screen.getByTestId('escalation-notice')).toBeInTheDocument();

        // The next opening starts afresh (and, this modal being broken, is contained again).
        act(() => {
            store.dispatch({type: ActionTypes.OPEN_MODAL, postId: POST_ID});
        });
        expect(screen.getByRole('alertdialog', {name: 'The Escalate dialog failed'})).toBeInTheDocument();
    });
});
