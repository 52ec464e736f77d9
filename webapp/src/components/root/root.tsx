/**
 * The root component registered with `registerRootComponent`: renders the Escalate modal while our
 * reducer says it is open (inside its own error boundary), and the notice for the last escalation.
 * The host passes `theme`.
 */
import React, {useCallback} from 'react';
import {useDispatch, useSelector} from 'react-redux';

import {closeEscalateModal, type Dispatch} from 'src/actions';
import EscalateModal from 'src/components/escalate_modal/escalate_modal';
import EscalationNotice from 'src/components/escalation_notice/escalation_notice';
import ModalErrorBoundary from 'src/components/root/modal_error_boundary';
import type {ThemeColors} from 'src/components/styles';
import {pluginState, type StateWithPlugin} from 'src/selectors';

export default function Root({theme}: {theme?: ThemeColors}) {
    const dispatch = useDispatch() as unknown as Dispatch;
    const modal = useSelector((state: StateWithPlugin) => pluginState(state).modal);
    const close = useCallback(() => dispatch(closeEscalateModal()), [dispatch]);
    return (
        <>
            {modal.open && (modal.postId || modal.link) ? (
                <ModalErrorBoundary
                    key={modal.postId ?? 'link'}
                    onClose={close}
                    theme={theme}
                >
                    <EscalateModal theme={theme}/>
                </ModalErrorBoundary>
            ) : null}
            <EscalationNotice theme={theme}/>
        </>
    );
}
