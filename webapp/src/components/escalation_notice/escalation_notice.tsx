/**
 * The confirmation shown after a successful submit: which topic, the escalation's live state (kept
 * current by the WebSocket handler) and a link to the escalation post. Stays until dismissed.
 */
import React from 'react';
import {FormattedMessage, useIntl} from 'react-intl';
import {useDispatch, useSelector} from 'react-redux';

import {dismissNotice, type Dispatch} from 'src/actions';
import {css, themeVariables, type ThemeColors} from 'src/components/styles';
import {messages} from 'src/i18n/messages';
import {pluginState, type StateWithPlugin} from 'src/selectors';
import type {Escalation} from 'src/types/api';

interface HostHistory {
    push(path: string): void;
}

declare global {
    interface Window {
        /** The SiteURL subpath the webapp runs under (`/chat`), or '' at the root. */
        basename?: string;
        WebappUtils?: {browserHistory?: HostHistory};
    }
}

/**
 * The path to give the host's router for `pathname`, or null when it lies outside the webapp. The
 * host's history was created with `window.basename` and adds it to every path it is given, so the
 * subpath that a permalink carries comes off first (else `/chat/team/pl/x` becomes `/chat/chat/...`).
 */
export function routerPath(pathname: string, basename: string | undefined): string | null {
    const base = (basename ?? '').replace(/\/+$/, '');
    if (!base) {
        return pathname;
    }
    if (pathname === base) {
        return '/';
    }
    return pathname.startsWith(`${base}/`) ? pathname.slice(base.length) : null;
}

/**
 * Opens a permalink inside the running webapp when it points at this webapp (same origin, under its
 * subpath), without a full reload, through the host's router history; anything else is left to the
 * browser.
 */
export function openInApp(event: React.MouseEvent<HTMLAnchorElement>, permalink: string): void {
    const history = window.WebappUtils?.browserHistory;
    if (!history || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) {
        return;
    }
    let url: URL;
    try {
        url = new URL(permalink, window.location.href);
    } catch {
        return;
    }
    const path = url.origin === window.location.origin ? routerPath(url.pathname, window.basename) : null;
    if (path === null) {
        return;
    }
    event.preventDefault();
    history.push(path + url.search + url.hash);
}

function StateLine({escalation}: {escalation: Escalation}) {
    const owner = escalation.owner ?? '';
    switch (escalation.state) {
    case 'claimed':
        return <FormattedMessage {...messages.stateClaimed} values={{owner}}/>;
    case 'resolved':
        return <FormattedMessage {...messages.stateResolved}/>;
    default:
        return owner ? <FormattedMessage {...messages.stateOpenOwner} values={{owner}}/> : <FormattedMessage {...messages.stateOpen}/>;
    }
}

function existingMessage(escalation: Escalation) {
    return escalation.source_url ? messages.noticeExistingLink : messages.noticeExisting;
}

export default function EscalationNotice({theme}: {theme?: ThemeColors}) {
    const intl = useIntl();
    const dispatch = useDispatch() as unknown as Dispatch;
    const {notice, escalations} = useSelector((state: StateWithPlugin) => pluginState(state));
    const escalation = notice ? escalations[notice.escalationId] : undefined;
    if (!notice || !escalation) {
        return null;
    }
    const topic = escalation.topic_title || escalation.topic;
    return (
        <div
            className='ce-root'
            style={themeVariables(theme)}
        >
            <style>{css}</style>
            <div
                className='ce-notice'
                role='status'
                data-testid='escalation-notice'
            >
                <div className='ce-notice-body'>
                    <FormattedMessage
                        {...(notice.created ? messages.noticeCreated : existingMessage(escalation))}
                        values={{topic}}
                    />
                    <span
                        className='ce-notice-state'
                        data-testid='escalation-state'
                    >
                        <StateLine escalation={escalation}/>
                    </span>
                    {escalation.permalink ? (
                        <a
                            className='ce-link'
                            href={escalation.permalink}
                            onClick={(e) => openInApp(e, escalation.permalink)}
                        >
                            <FormattedMessage {...(notice.created ? messages.noticeView : messages.noticeViewExisting)}/>
                        </a>
                    ) : null}
                </div>
                <button
                    type='button'
                    className='ce-icon-button'
                    aria-label={intl.formatMessage(messages.noticeDismiss)}
                    onClick={() => dispatch(dismissNotice())}
                >
                    {'×'}
                </button>
            </div>
        </div>
    );
}
