/**
 * Focus management for a modal dialog: remembers what had focus when it opened and gives it back on
 * close; keeps Tab and Shift+Tab inside the dialog.
 */
import type React from 'react';
import {useEffect, useRef} from 'react';

const FOCUSABLE = [
    'a[href]', 'button:not([disabled])', 'textarea:not([disabled])', 'input:not([disabled])',
    'select:not([disabled])', '[tabindex="0"]',
].join(',');

export function useRestoreFocus(): void {
    const previous = useRef<Element | null>(null);
    useEffect(() => {
        previous.current = document.activeElement;
        return () => {
            const el = previous.current;
            if (el instanceof HTMLElement && el.isConnected) {
                el.focus();
            }
        };
    }, []);
}

/** Tab-key handler for the dialog's `onKeyDown`: wraps focus at both ends. */
export function trapTab(event: React.KeyboardEvent, container: HTMLElement | null): void {
    if (event.key !== 'Tab' || !container) {
        return;
    }
    const focusable = Array.from(container.querySelectorAll<HTMLElement>(FOCUSABLE));
    if (focusable.length === 0) {
        event.preventDefault();
        return;
    }
    const first = focusable[0];
    const last = focusable[focusable.length - 1];
    const active = document.activeElement;
    if (event.shiftKey && (active === first || active === container)) {
        event.preventDefault();
        last.focus();
    } else if (!event.shiftKey && active === last) {
        event.preventDefault();
        first.focus();
    }
}
