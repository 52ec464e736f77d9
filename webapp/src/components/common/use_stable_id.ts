/**
 * A unique, stable id for ARIA and label wiring, on every React the supported servers ship.
 *
 * React 18's `useId` does not exist in React 17, which Mattermost's webapp shipped through 9.x and
 * 10.x; the plugin bundle uses the host's React, so calling it there throws. The ids only have to
 * be unique within the page (the plugin renders on the client only, no hydration), so a counter
 * read once per component instance is enough.
 */
import {useState} from 'react';

let counter = 0;

export function useStableId(prefix: string): string {
    const [id] = useState(() => `${prefix}-${++counter}`);
    return id;
}
