/**
 * The topics as a single-choice list (ARIA radiogroup with a roving tabindex): arrow keys, Home and
 * End move the choice and the focus; Space or a click chooses. Enter is left to the dialog (submit).
 */
import React, {useCallback, useRef} from 'react';

import type {Topic} from 'src/types/api';

interface Props {
    topics: Topic[];
    selected: string | null;
    labelId: string;
    onSelect: (key: string) => void;
}

const NEXT_KEYS = new Set(['ArrowDown', 'ArrowRight']);
const PREV_KEYS = new Set(['ArrowUp', 'ArrowLeft']);

export function topicElementId(key: string): string {
    return `ce-topic-${key}`;
}

export default function TopicList({topics, selected, labelId, onSelect}: Props) {
    const refs = useRef<Array<HTMLDivElement | null>>([]);
    const selectedIndex = topics.findIndex((t) => t.key === selected);
    const tabbableIndex = selectedIndex >= 0 ? selectedIndex : 0;

    const choose = useCallback((index: number) => {
        const topic = topics[index];
        if (topic) {
            onSelect(topic.key);
            refs.current[index]?.focus();
        }
    }, [topics, onSelect]);

    const onKeyDown = (event: React.KeyboardEvent<HTMLDivElement>, index: number) => {
        const last = topics.length - 1;
        let target: number | null = null;
        if (NEXT_KEYS.has(event.key)) {
            target = selectedIndex < 0 ? 0 : (index >= last ? 0 : index + 1);
        } else if (PREV_KEYS.has(event.key)) {
            target = selectedIndex < 0 ? last : (index <= 0 ? last : index - 1);
        } else if (event.key === 'Home') {
            target = 0;
        } else if (event.key === 'End') {
            target = last;
        } else if (event.key === ' ') {
            target = index;
        }
        if (target !== null) {
            event.preventDefault();
            choose(target);
        }
    };

    return (
        <div
            role='radiogroup'
            aria-labelledby={labelId}
            className='ce-topics'
        >
            {topics.map((topic, index) => {
                const checked = topic.key === selected;
                const titleId = `${topicElementId(topic.key)}-title`;
                const descriptionId = `${topicElementId(topic.key)}-description`;
                return (
                    <div
                        key={topic.key}
                        id={topicElementId(topic.key)}
                        ref={(el) => {
                            refs.current[index] = el;
                        }}
                        role='radio'
                        aria-checked={checked}
                        aria-labelledby={titleId}
                        aria-describedby={descriptionId}
                        tabIndex={index === tabbableIndex ? 0 : -1}
                        className='ce-topic'
                        onClick={() => choose(index)}
                        onKeyDown={(event) => onKeyDown(event, index)}
                        data-topic={topic.key}
                    >
                        <span
                            id={titleId}
                            className='ce-topic-title'
                        >
                            {topic.title}
                        </span>
                        <span
                            id={descriptionId}
                            className='ce-topic-description'
                        >
                            {topic.description}
                        </span>
                    </div>
                );
            })}
        </div>
    );
}
