/**
 * The Escalate modal: loads the topics, lets the user choose one and add a note, previews who will
 * respond, and submits. Opened for a post (from its menu) or for a link raised outside Mattermost
 * (the channel-header button), which asks for the link and a summary instead of quoting a message. Rendered by the root component while `modal.open` is set in our reducer;
 * mounted afresh for each opening, so the choice and the note start empty.
 *
 * Keyboard: arrow keys among topics, Enter submits (Ctrl/Cmd+Enter inside the note), Esc closes,
 * Tab stays inside the dialog; focus returns to where it was when the modal closes.
 */
import React, {useCallback, useEffect, useRef, useState} from 'react';
import ReactDOM from 'react-dom';
import {FormattedMessage, useIntl} from 'react-intl';
import {useDispatch, useSelector} from 'react-redux';

import {closeEscalateModal, fetchTopics, submitEscalation, submitLinkEscalation, type Dispatch} from 'src/actions';
import {useStableId} from 'src/components/common/use_stable_id';
import {css, themeVariables, type ThemeColors} from 'src/components/styles';
import {messages} from 'src/i18n/messages';
import {getPost, pluginState, type StateWithPlugin} from 'src/selectors';
import {NOTE_MAX_CHARS} from 'src/types/api';

import LinkFields, {type LinkValues} from './link_fields';
import TopicList, {topicElementId} from './topic_list';
import TopicPreview from './topic_preview';
import {trapTab, useRestoreFocus} from './use_dialog_focus';

const QUOTE_MAX_CHARS = 280;

interface Props {
    theme?: ThemeColors;
}

function useErrorText(error: {status: number; message: string} | null): string | null {
    const intl = useIntl();
    if (!error) {
        return null;
    }
    if (error.message) {
        return error.message;
    }
    if (error.status === 0) {
        return intl.formatMessage(messages.errorNetwork);
    }
    return intl.formatMessage(messages.errorStatus, {status: error.status});
}

export default function EscalateModal({theme}: Props) {
    const intl = useIntl();
    const dispatch = useDispatch() as unknown as Dispatch;
    const {modal, topics, submit} = useSelector((state: StateWithPlugin) => pluginState(state));
    const post = useSelector((state: StateWithPlugin) => (modal.postId ? getPost(state, modal.postId) : undefined));
    const [selected, setSelected] = useState<string | null>(null);
    const [note, setNote] = useState('');
    const [showChooseHint, setShowChooseHint] = useState(false);
    const [link, setLink] = useState<LinkValues>({url: '', summary: ''});
    const [showLinkHint, setShowLinkHint] = useState(false);
    const linkMode = Boolean(modal.link);
    const dialogRef = useRef<HTMLDivElement>(null);
    const urlRef = useRef<HTMLInputElement>(null);
    const base = useStableId('ce-escalate');
    const ids = {
        title: `${base}-title`, topics: `${base}-topics`, preview: `${base}-preview`, note: `${base}-note`,
        noteHelp: `${base}-note-help`, error: `${base}-error`,
    };
    useRestoreFocus();

    const topicList = topics.data?.topics ?? [];
    const topic = topicList.find((t) => t.key === selected) ?? null;
    const submitting = submit.status === 'submitting';
    const loadError = useErrorText(topics.status === 'error' ? topics.error : null);
    const submitError = useErrorText(submit.status === 'error' ? submit.error : null);

    // Initial focus: the dialog while loading, then the first (or chosen) topic once the list is there.
    useEffect(() => {
        const dialog = dialogRef.current;
        if (!dialog) {
            return;
        }
        if (linkMode) {
            // The link comes first; later focus moves are the user's.
            if (!dialog.contains(document.activeElement)) {
                urlRef.current?.focus();
            }
            return;
        }
        if (topics.status === 'loaded' && topicList.length > 0) {
            const key = selected ?? topicList[0].key;
            document.getElementById(topicElementId(key))?.focus();
        } else if (!dialog.contains(document.activeElement)) {
            dialog.focus();
        }
        // Only when the list (re)appears; later focus moves are the user's.
        // eslint-disable-next-line react-hooks/exhaustive-deps
    }, [topics.status]);

    const close = useCallback(() => dispatch(closeEscalateModal()), [dispatch]);
    const onSelect = useCallback((key: string) => {
        setSelected(key);
        setShowChooseHint(false);
    }, []);

    const doSubmit = () => {
        if (submitting || topics.status !== 'loaded') {
            return;
        }
        if (!selected) {
            setShowChooseHint(true);
            return;
        }
        if (linkMode) {
            if (!link.url.trim() || !link.summary.trim()) {
                setShowLinkHint(true);
                return;
            }
            void dispatch(submitLinkEscalation(selected, {...link, note}));
            return;
        }
        void dispatch(submitEscalation(selected, note));
    };

    const onKeyDown = (event: React.KeyboardEvent) => {
        // The host listens for shortcuts on the document (Esc, typing-to-focus the message box);
        // keys pressed inside the dialog are ours.
        event.stopPropagation();
        if (event.key === 'Escape') {
            event.preventDefault();
            close();
            return;
        }
        trapTab(event, dialogRef.current);
        if (event.key !== 'Enter' || event.shiftKey || event.nativeEvent.isComposing) {
            return;
        }
        const target = event.target as HTMLElement;
        if (target.tagName === 'BUTTON' || target.tagName === 'A') {
            return; // their own activation
        }
        if (target.tagName === 'TEXTAREA' && !(event.ctrlKey || event.metaKey)) {
            return; // a new line in the note
        }
        event.preventDefault();
        doSubmit();
    };

    const onLinkChange = useCallback((values: LinkValues) => {
        setLink(values);
        setShowLinkHint(false);
    }, []);
    const quote = !linkMode && post?.message ? post.message.slice(0, QUOTE_MAX_CHARS) + (post.message.length > QUOTE_MAX_CHARS ? '…' : '') : '';
    const guidance = topics.data?.non_sensitive_guidance || intl.formatMessage(messages.guidanceDefault);

    let content: React.ReactNode;
    if (topics.status === 'loading' || topics.status === 'idle') {
        content = (
            <div
                className='ce-status'
                role='status'
                data-testid='topics-loading'
            >
                <FormattedMessage {...messages.loading}/>
            </div>
        );
    } else if (topics.status === 'error') {
        content = (
            <div
                className='ce-error'
                role='alert'
                data-testid='topics-error'
            >
                <FormattedMessage {...messages.loadError}/>{' '}{loadError}{' '}
                <button
                    type='button'
                    className='ce-button ce-button-tertiary'
                    onClick={() => void dispatch(fetchTopics())}
                >
                    <FormattedMessage {...messages.retry}/>
                </button>
            </div>
        );
    } else if (topicList.length === 0) {
        content = (
            <div
                className='ce-status'
                role='status'
                data-testid='topics-empty'
            >
                <FormattedMessage {...messages.empty}/>
            </div>
        );
    } else {
        content = (
            <>
                <div className='ce-columns'>
                    <div>
                        <span
                            id={ids.topics}
                            className='ce-section-label'
                        >
                            <FormattedMessage {...messages.topicsLabel}/>
                        </span>
                        <TopicList
                            topics={topicList}
                            selected={selected}
                            labelId={ids.topics}
                            onSelect={onSelect}
                        />
                    </div>
                    <TopicPreview
                        topic={topic}
                        labelId={ids.preview}
                    />
                </div>
                <div className='ce-field'>
                    <label
                        htmlFor={ids.note}
                        className='ce-section-label'
                    >
                        <FormattedMessage {...messages.noteLabel}/>
                    </label>
                    <textarea
                        id={ids.note}
                        className='ce-textarea'
                        value={note}
                        maxLength={NOTE_MAX_CHARS}
                        aria-describedby={ids.noteHelp}
                        onChange={(e) => setNote(e.target.value.slice(0, NOTE_MAX_CHARS))}
                        disabled={submitting}
                    />
                    <div
                        id={ids.noteHelp}
                        className='ce-help'
                    >
                        <span><FormattedMessage {...messages.noteHelp}/></span>
                        <span data-testid='note-counter'>
                            <FormattedMessage
                                {...messages.noteCounter}
                                values={{count: note.length, max: NOTE_MAX_CHARS}}
                            />
                        </span>
                    </div>
                </div>
            </>
        );
    }

    const dialog = (
        <div
            className='ce-root ce-backdrop'
            style={themeVariables(theme)}
            onMouseDown={(e) => {
                if (e.target === e.currentTarget) {
                    close();
                }
            }}
        >
            <style>{css}</style>
            <div
                ref={dialogRef}
                className='ce-dialog'
                role='dialog'
                aria-modal='true'
                aria-labelledby={ids.title}
                tabIndex={-1}
                onKeyDown={onKeyDown}
                data-testid='escalate-modal'
            >
                <div className='ce-header'>
                    <div style={{flex: 1}}>
                        <h2
                            id={ids.title}
                            className='ce-title'
                        >
                            <FormattedMessage {...(linkMode ? messages.linkTitle : messages.title)}/>
                        </h2>
                        <p className='ce-intro'><FormattedMessage {...(linkMode ? messages.linkIntro : messages.intro)}/></p>
                    </div>
                    <button
                        type='button'
                        className='ce-icon-button'
                        aria-label={intl.formatMessage(messages.close)}
                        onClick={close}
                    >
                        {'×'}
                    </button>
                </div>
                <div className='ce-body'>
                    {quote ? (
                        <blockquote
                            className='ce-quote'
                            aria-label={intl.formatMessage(messages.quotedMessage)}
                        >
                            {quote}
                        </blockquote>
                    ) : null}
                    <div
                        className='ce-guidance'
                        data-testid='guidance'
                    >
                        <strong><FormattedMessage {...messages.guidanceTitle}/></strong>
                        <span>{guidance}</span>
                    </div>
                    {linkMode ? (
                        <LinkFields
                            values={link}
                            onChange={onLinkChange}
                            disabled={submitting}
                            idBase={base}
                            urlRef={urlRef}
                        />
                    ) : null}
                    {content}
                </div>
                {submitError || showChooseHint || showLinkHint ? (
                    <div
                        id={ids.error}
                        className='ce-error ce-submit-error'
                        role='alert'
                        data-testid='submit-error'
                    >
                        {submitError ?? intl.formatMessage(showChooseHint ? messages.chooseTopicFirst : messages.linkRequired)}
                    </div>
                ) : null}
                <div className='ce-footer'>
                    <span
                        className='ce-hint'
                        aria-hidden='true'
                    >
                        <FormattedMessage {...messages.keyboardHint}/>
                    </span>
                    <button
                        type='button'
                        className='ce-button ce-button-tertiary'
                        onClick={close}
                    >
                        <FormattedMessage {...messages.cancel}/>
                    </button>
                    <button
                        type='button'
                        className='ce-button ce-button-primary'
                        onClick={doSubmit}
                        disabled={submitting || topics.status !== 'loaded' || topicList.length === 0 || !selected}
                        aria-describedby={submitError ? ids.error : undefined}
                    >
                        <FormattedMessage {...(submitting ? messages.submitting : messages.submit)}/>
                    </button>
                </div>
            </div>
        </div>
    );

    return ReactDOM.createPortal(dialog, document.body);
}
