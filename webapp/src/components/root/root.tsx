/**
 * The root component registered with `registerRootComponent`: renders the Escalate modal while our
 * reducer says it is open, and the notice for the last escalation. The host passes `theme`.
 */
import React from 'react';
import {useSelector} from 'react-redux';

import EscalateModal from 'src/components/escalate_modal/escalate_modal';
import EscalationNotice from 'src/components/escalation_notice/escalation_notice';
import type {ThemeColors} from 'src/components/styles';
import {pluginState, type StateWithPlugin} from 'src/selectors';

export default function Root({theme}: {theme?: ThemeColors}) {
    const modal = useSelector((state: StateWithPlugin) => pluginState(state).modal);
    return (
        <>
            {modal.open && modal.postId ? (
                <EscalateModal
                    key={modal.postId}
                    theme={theme}
                />
            ) : null}
            <EscalationNotice theme={theme}/>
        </>
    );
}
