/**
 * The channel-header button's icon: a link with an upward arrow (escalate a link), drawn in the
 * current text colour so it follows the theme like the host's own header icons.
 */
import React from 'react';

export default function LinkIcon() {
    return (
        <svg
            width='18'
            height='18'
            viewBox='0 0 24 24'
            fill='none'
            stroke='currentColor'
            strokeWidth='2'
            strokeLinecap='round'
            strokeLinejoin='round'
            aria-hidden='true'
            data-testid='escalate-link-icon'
        >
            <path d='M10 14a4 4 0 0 0 5.66 0l3-3a4 4 0 0 0-5.66-5.66l-1 1'/>
            <path d='M14 10a4 4 0 0 0-5.66 0l-3 3a4 4 0 0 0 5.66 5.66l1-1'/>
            <path d='M19 21v-6m-3 3 3-3 3 3'/>
        </svg>
    );
}
