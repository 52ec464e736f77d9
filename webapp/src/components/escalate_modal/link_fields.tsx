/**
 * The fields the Escalate modal shows for a link raised outside Mattermost instead of a quoted
 * message: the link and a short summary. Controlled by the modal; the server checks both (only
 * http and https, the summary's length) and says what is wrong.
 */
import React from 'react';
import {FormattedMessage} from 'react-intl';

import {messages} from 'src/i18n/messages';
import {SUMMARY_MAX_CHARS, URL_MAX_CHARS} from 'src/types/api';

export interface LinkValues {
    url: string;
    summary: string;
}

interface Props {
    values: LinkValues;
    onChange: (values: LinkValues) => void;
    disabled: boolean;
    idBase: string;
    urlRef: React.RefObject<HTMLInputElement>;
}

export default function LinkFields({values, onChange, disabled, idBase, urlRef}: Props) {
    const ids = {url: `${idBase}-url`, urlHelp: `${idBase}-url-help`, summary: `${idBase}-summary`, summaryHelp: `${idBase}-summary-help`};
    return (
        <div
            className='ce-link-fields'
            data-testid='link-fields'
        >
            <div className='ce-field'>
                <label
                    htmlFor={ids.url}
                    className='ce-section-label'
                >
                    <FormattedMessage {...messages.linkLabel}/>
                </label>
                <input
                    ref={urlRef}
                    id={ids.url}
                    type='text'
                    inputMode='url'
                    spellCheck={false}
                    className='ce-textarea ce-input'
                    value={values.url}
                    maxLength={URL_MAX_CHARS}
                    placeholder='https://github.com/…'
                    aria-describedby={ids.urlHelp}
                    onChange={(e) => onChange({...values, url: e.target.value})}
                    disabled={disabled}
                />
                <div
                    id={ids.urlHelp}
                    className='ce-help'
                >
                    <span><FormattedMessage {...messages.linkHelp}/></span>
                </div>
            </div>
            <div className='ce-field'>
                <label
                    htmlFor={ids.summary}
                    className='ce-section-label'
                >
                    <FormattedMessage {...messages.summaryLabel}/>
                </label>
                <textarea
                    id={ids.summary}
                    className='ce-textarea'
                    value={values.summary}
                    maxLength={SUMMARY_MAX_CHARS}
                    aria-describedby={ids.summaryHelp}
                    onChange={(e) => onChange({...values, summary: e.target.value.slice(0, SUMMARY_MAX_CHARS)})}
                    disabled={disabled}
                />
                <div
                    id={ids.summaryHelp}
                    className='ce-help'
                >
                    <span><FormattedMessage {...messages.summaryHelp}/></span>
                    <span data-testid='summary-counter'>
                        <FormattedMessage
                            {...messages.noteCounter}
                            values={{count: values.summary.length, max: SUMMARY_MAX_CHARS}}
                        />
                    </span>
                </div>
            </div>
        </div>
    );
}
