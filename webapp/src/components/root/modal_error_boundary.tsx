/**
 * Keeps a failure inside the Escalate modal from taking the plugin's whole UI down.
 *
 * The host renders our root component inside its own error boundary, which replaces it with an
 * error until the user presses "Refresh"; a refresh renders the modal again (our reducer still says
 * it is open) and fails again. This boundary sits around the modal only: it shows what failed in a
 * small dialog whose Close button closes the modal in our reducer, so the next Escalate starts afresh
 * and the notice keeps working.
 */
import React from 'react';
import {FormattedMessage} from 'react-intl';

import {css, themeVariables, type ThemeColors} from 'src/components/styles';
import {messages} from 'src/i18n/messages';

interface Props {
    onClose: () => void;
    theme?: ThemeColors;
    children: React.ReactNode;
}

interface State {
    error: string | null;
}

export default class ModalErrorBoundary extends React.Component<Props, State> {
    public override state: State = {error: null};

    public static getDerivedStateFromError(error: unknown): State {
        return {error: error instanceof Error ? error.message : String(error)};
    }

    public override render(): React.ReactNode {
        if (this.state.error === null) {
            return this.props.children;
        }
        return (
            <div
                className='ce-root ce-backdrop'
                style={themeVariables(this.props.theme)}
            >
                <style>{css}</style>
                <div
                    className='ce-dialog ce-dialog-small'
                    role='alertdialog'
                    aria-modal='true'
                    aria-labelledby='ce-escalate-failed-title'
                    aria-describedby='ce-escalate-failed-body'
                    data-testid='escalate-failed'
                >
                    <div className='ce-header'>
                        <h2
                            id='ce-escalate-failed-title'
                            className='ce-title'
                        >
                            <FormattedMessage {...messages.failedTitle}/>
                        </h2>
                    </div>
                    <p
                        id='ce-escalate-failed-body'
                        className='ce-body'
                    >
                        <FormattedMessage
                            {...messages.failedBody}
                            values={{error: this.state.error}}
                        />
                    </p>
                    <div className='ce-footer'>
                        <button
                            type='button'
                            className='ce-button ce-button-primary'
                            onClick={this.props.onClose}
                            autoFocus={true}
                        >
                            <FormattedMessage {...messages.close}/>
                        </button>
                    </div>
                </div>
            </div>
        );
    }
}
