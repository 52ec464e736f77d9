/**
 * What choosing a topic will do: its approved responders, who is looped in, the default owner and
 * the template response (with who approved it, when it was approved in the plugin rather than
 * written in the policy file), or that there is no official response yet (the policy's "To be added").
 * A role of the topic that nobody holds is named ("No one holds: CRO") rather than dropped.
 */
import React from 'react';
import {FormattedMessage, useIntl} from 'react-intl';

import {messages} from 'src/i18n/messages';
import type {Person, Topic} from 'src/types/api';

interface Props {
    topic: Topic | null;
    labelId: string;
}

function PersonName({person}: {person: Person}) {
    const intl = useIntl();
    if (!person.display_name || person.display_name === person.username) {
        return <>{`@${person.username}`}</>;
    }
    return <>{intl.formatMessage(messages.person, {displayName: person.display_name, username: person.username})}</>;
}

/** The people of a list, then the list's roles that nobody holds ("No one holds: CRO"). */
function People({people, emptyRoles = []}: {people: Person[]; emptyRoles?: string[]}) {
    const empty = emptyRoles.length > 0 ? (
        <div className='ce-preview-empty'>
            <FormattedMessage
                {...messages.emptyRoles}
                values={{roles: emptyRoles.join(', ')}}
            />
        </div>
    ) : null;
    if (people.length === 0) {
        return empty ?? <FormattedMessage {...messages.nobody}/>;
    }
    return (
        <>
            <ul>
                {people.map((person) => (
                    <li key={person.username}><PersonName person={person}/></li>
                ))}
            </ul>
            {empty}
        </>
    );
}

function Approval({approval}: {approval: {by: string; at: number}}) {
    const intl = useIntl();
    const date = intl.formatDate(approval.at, {year: 'numeric', month: 'short', day: 'numeric'});
    return (
        <div
            className='ce-template-approved'
            data-testid='template-approved'
        >
            <FormattedMessage
                {...messages.templateApproved}
                values={{username: approval.by, date}}
            />
        </div>
    );
}

export default function TopicPreview({topic, labelId}: Props) {
    return (
        <section
            className='ce-preview'
            aria-labelledby={labelId}
            aria-live='polite'
            data-testid='topic-preview'
        >
            <h3
                id={labelId}
                className='ce-section-label'
            >
                <FormattedMessage {...messages.previewLabel}/>
            </h3>
            {topic ? (
                <dl>
                    <dt><FormattedMessage {...messages.responders}/></dt>
                    <dd>
                        <People
                            people={topic.responders}
                            emptyRoles={topic.empty_roles?.responders}
                        />
                    </dd>
                    <dt><FormattedMessage {...messages.loopIn}/></dt>
                    <dd>
                        <People
                            people={topic.loop_in}
                            emptyRoles={topic.empty_roles?.loop_in}
                        />
                    </dd>
                    <dt><FormattedMessage {...messages.defaultOwner}/></dt>
                    <dd>
                        {topic.default_owner ? <PersonName person={topic.default_owner}/> : <FormattedMessage {...messages.nobody}/>}
                    </dd>
                    <dt><FormattedMessage {...messages.templateResponse}/></dt>
                    <dd>
                        {topic.template_response ? (
                            <>
                                <div className='ce-template'>{topic.template_response}</div>
                                {topic.template_approved ? <Approval approval={topic.template_approved}/> : null}
                            </>
                        ) : (
                            <span className='ce-preview-empty'><FormattedMessage {...messages.noTemplate}/></span>
                        )}
                    </dd>
                </dl>
            ) : (
                <p className='ce-preview-empty'><FormattedMessage {...messages.previewEmpty}/></p>
            )}
        </section>
    );
}
