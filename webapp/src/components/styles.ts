/**
 * Styles for the modal and the notice, scoped under `ce-` class names.
 *
 * Colours come from the user's theme: the root component receives the host's `theme` prop and
 * `themeVariables` turns it into `--ce-*` custom properties; without a theme they fall back to the
 * host's own CSS variables (`--center-channel-bg`, ...) and then to Mattermost's default theme.
 * Translucent shades use `color-mix`, as the host's theme colours are plain hex strings.
 *
 * Text keeps WCAG AA contrast (4.5:1) on the default and dark themes, checked by axe-core in the
 * browser test: secondary text is the text colour mixed into the background (not made translucent),
 * accent-coloured text leans towards the text colour, and the primary button's accent is darkened.
 */
import type React from 'react';

/** The theme colours we use; the host's `Theme` (mattermost-redux preferences) has these keys. */
export interface ThemeColors {
    centerChannelBg?: string;
    centerChannelColor?: string;
    buttonBg?: string;
    buttonColor?: string;
    linkColor?: string;
    errorTextColor?: string;
    onlineIndicator?: string;
}

export function themeVariables(theme: ThemeColors | undefined): React.CSSProperties {
    const vars: Record<string, string> = {};
    const map: Array<[string, keyof ThemeColors]> = [
        ['--ce-bg', 'centerChannelBg'],
        ['--ce-fg', 'centerChannelColor'],
        ['--ce-accent', 'buttonBg'],
        ['--ce-accent-fg', 'buttonColor'],
        ['--ce-link', 'linkColor'],
        ['--ce-error', 'errorTextColor'],
        ['--ce-online', 'onlineIndicator'],
    ];
    for (const [name, key] of map) {
        const value = theme?.[key];
        if (typeof value === 'string' && value) {
            vars[name] = value;
        }
    }
    return vars;
}

export const css = `
.ce-root {
  --ce-bg-d: var(--ce-bg, var(--center-channel-bg, #ffffff));
  --ce-fg-d: var(--ce-fg, var(--center-channel-color, #3f4350));
  --ce-accent-d: var(--ce-accent, var(--button-bg, #1c58d9));
  --ce-accent-fg-d: var(--ce-accent-fg, var(--button-color, #ffffff));
  --ce-link-d: var(--ce-link, var(--link-color, #386fe5));
  --ce-error-d: var(--ce-error, var(--error-text, #d24b4e));
  --ce-online-d: var(--ce-online, var(--online-indicator, #06d6a0));
  --ce-fg-64: color-mix(in srgb, var(--ce-fg-d) 64%, transparent);
  --ce-fg-muted: color-mix(in srgb, var(--ce-fg-d) 80%, var(--ce-bg-d));
  --ce-accent-text: color-mix(in srgb, var(--ce-accent-d) 70%, var(--ce-fg-d));
  --ce-accent-strong: color-mix(in srgb, var(--ce-accent-d) 85%, #000);
  --ce-error-text: color-mix(in srgb, var(--ce-error-d) 75%, var(--ce-fg-d));
  --ce-fg-16: color-mix(in srgb, var(--ce-fg-d) 16%, transparent);
  --ce-fg-08: color-mix(in srgb, var(--ce-fg-d) 8%, transparent);
  --ce-fg-04: color-mix(in srgb, var(--ce-fg-d) 4%, transparent);
  --ce-accent-08: color-mix(in srgb, var(--ce-accent-d) 8%, transparent);
  --ce-accent-16: color-mix(in srgb, var(--ce-accent-d) 16%, transparent);
  font-family: 'Open Sans', 'Helvetica Neue', Arial, sans-serif;
  font-size: 14px;
  line-height: 20px;
  color: var(--ce-fg-d);
}
.ce-backdrop {
  position: fixed; inset: 0; z-index: 1050;
  background: rgba(0, 0, 0, 0.64);
  display: flex; align-items: flex-start; justify-content: center;
  padding: 32px 16px; box-sizing: border-box;
}
.ce-dialog {
  width: 100%; max-width: 760px; max-height: 100%;
  display: flex; flex-direction: column; box-sizing: border-box;
  background: var(--ce-bg-d); color: var(--ce-fg-d);
  border: 1px solid var(--ce-fg-16); border-radius: 12px;
  box-shadow: 0 20px 32px rgba(0, 0, 0, 0.12);
  outline: none;
}
.ce-dialog-small { max-width: 480px; }
.ce-header { display: flex; align-items: flex-start; padding: 26px 32px 8px; gap: 16px; flex: none; }
.ce-title {
  flex: 1; margin: 0; font-size: 22px; line-height: 28px; font-weight: 600;
  font-family: Metropolis, 'Open Sans', sans-serif;
}
.ce-intro { margin: 4px 0 0; color: var(--ce-fg-muted); font-size: 14px; font-weight: 400; font-family: inherit; }
.ce-icon-button {
  width: 32px; height: 32px; border: none; border-radius: 4px; background: transparent;
  color: var(--ce-fg-muted); font-size: 22px; line-height: 32px; cursor: pointer; flex: none;
}
.ce-icon-button:hover { background: var(--ce-fg-08); color: var(--ce-fg-d); }
.ce-body { padding: 12px 32px 4px; overflow-y: auto; flex: 1 1 auto; min-height: 0; }
.ce-quote {
  margin: 0 0 16px; padding: 8px 12px; font-size: 14px; line-height: 20px; border-left: 4px solid var(--ce-fg-16);
  background: var(--ce-fg-04); border-radius: 0 4px 4px 0; color: var(--ce-fg-d);
  white-space: pre-wrap; overflow-wrap: anywhere; max-height: 84px; overflow: hidden;
}
.ce-quote-label { display: block; font-size: 12px; font-weight: 600; color: var(--ce-fg-muted); }
.ce-guidance {
  display: flex; gap: 8px; margin: 0 0 16px; padding: 10px 12px; border-radius: 4px;
  background: var(--ce-accent-08); border: 1px solid var(--ce-accent-16);
}
.ce-guidance strong { white-space: nowrap; }
.ce-section-label { display: block; margin: 0 0 8px; font-size: 14px; line-height: 20px; font-weight: 600; }
.ce-columns { display: grid; grid-template-columns: minmax(0, 1.15fr) minmax(0, 1fr); gap: 16px; }
.ce-topics {
  max-height: 340px; overflow-y: auto; display: flex; flex-direction: column; gap: 8px;
  padding: 2px;
}
.ce-topic {
  padding: 10px 12px 10px 38px; position: relative; border-radius: 4px; cursor: pointer;
  border: 1px solid var(--ce-fg-16); background: var(--ce-bg-d); outline: none;
}
.ce-topic::before {
  content: ''; position: absolute; left: 12px; top: 13px; width: 16px; height: 16px;
  border-radius: 50%; border: 1px solid var(--ce-fg-64); box-sizing: border-box;
}
.ce-topic:hover { border-color: var(--ce-fg-64); }
.ce-topic[aria-checked='true'] { border-color: var(--ce-accent-d); background: var(--ce-accent-08); }
.ce-topic[aria-checked='true']::before { border: 5px solid var(--ce-accent-d); }
.ce-topic:focus-visible { box-shadow: 0 0 0 2px var(--ce-accent-d); }
.ce-topic-title { display: block; font-weight: 600; }
.ce-topic-description { display: block; margin-top: 2px; color: var(--ce-fg-muted); font-size: 13px; line-height: 18px; }
.ce-preview {
  border-radius: 8px; background: var(--ce-fg-04); border: 1px solid var(--ce-fg-08);
  padding: 12px 16px; align-self: start;
}
.ce-preview-empty { color: var(--ce-fg-muted); margin: 0; }
.ce-preview dl { margin: 0; }
.ce-preview dt { line-height: 16px; font-size: 12px; font-weight: 600; text-transform: uppercase; letter-spacing: 0.02em; color: var(--ce-fg-muted); margin-top: 10px; }
.ce-preview dt:first-child { margin-top: 0; }
.ce-preview dd { margin: 2px 0 0; }
.ce-preview ul { margin: 0; padding: 0; list-style: none; }
.ce-template {
  margin: 2px 0 0; padding: 8px; border-radius: 4px; background: var(--ce-bg-d); border: 1px solid var(--ce-fg-08);
  white-space: pre-wrap; overflow-wrap: anywhere; max-height: 140px; overflow-y: auto; font-size: 13px;
}
.ce-template-approved { margin-top: 4px; font-size: 12px; color: var(--ce-fg-muted); }
.ce-field { margin-top: 16px; }
.ce-textarea {
  display: block; width: 100%; box-sizing: border-box; min-height: 72px; resize: vertical;
  padding: 8px 12px; border-radius: 4px; border: 1px solid var(--ce-fg-16);
  background: var(--ce-bg-d); color: var(--ce-fg-d); font: inherit;
}
.ce-input { min-height: 0; resize: none; }
.ce-link-fields { margin-bottom: 16px; }
.ce-textarea:hover { border-color: var(--ce-fg-64); }
.ce-textarea:focus { outline: none; border-color: var(--ce-accent-d); box-shadow: inset 0 0 0 1px var(--ce-accent-d); }
.ce-help { display: flex; justify-content: space-between; gap: 16px; margin-top: 4px; font-size: 12px; color: var(--ce-fg-muted); }
.ce-status { padding: 24px 0; text-align: center; color: var(--ce-fg-muted); }
.ce-error {
  margin: 16px 0 0; padding: 10px 12px; border-radius: 4px; color: var(--ce-error-text);
  background: color-mix(in srgb, var(--ce-error-d) 8%, transparent);
  border: 1px solid color-mix(in srgb, var(--ce-error-d) 24%, transparent);
}
.ce-error.ce-submit-error { margin: 12px 32px 0; flex: none; }
.ce-footer { display: flex; align-items: center; gap: 8px; padding: 20px 32px 24px; flex: none; }
.ce-hint { flex: 1; font-size: 12px; color: var(--ce-fg-muted); }
.ce-button {
  height: 40px; padding: 0 20px; border-radius: 4px; border: none; cursor: pointer;
  font: inherit; font-weight: 600;
}
.ce-button:focus-visible { outline: 2px solid var(--ce-accent-d); outline-offset: 2px; }
.ce-button-tertiary { background: var(--ce-accent-08); color: var(--ce-accent-text); }
.ce-button-tertiary:hover { background: var(--ce-accent-16); }
.ce-button-primary { background: var(--ce-accent-strong); color: var(--ce-accent-fg-d); }
.ce-button-primary:hover { background: color-mix(in srgb, var(--ce-accent-d) 75%, #000); }
.ce-button:disabled { cursor: not-allowed; background: var(--ce-fg-08); color: var(--ce-fg-64); }
.ce-notice {
  position: fixed; right: 24px; bottom: 24px; z-index: 1040; max-width: 440px;
  display: flex; gap: 12px; align-items: flex-start; padding: 12px 12px 12px 16px;
  background: var(--ce-bg-d); border: 1px solid var(--ce-fg-16); border-left: 4px solid var(--ce-online-d);
  border-radius: 8px; box-shadow: 0 8px 24px rgba(0, 0, 0, 0.12);
}
.ce-notice-body { flex: 1; }
.ce-notice-state { display: block; color: var(--ce-fg-muted); font-size: 13px; }
.ce-link { color: var(--ce-link-d); font-weight: 600; text-decoration: none; }
.ce-link:hover, .ce-link:focus { text-decoration: underline; }
@media (max-width: 640px) {
  .ce-columns { grid-template-columns: minmax(0, 1fr); }
  .ce-header, .ce-footer { padding-left: 16px; padding-right: 16px; }
  .ce-body { padding-left: 16px; padding-right: 16px; }
  .ce-error.ce-submit-error { margin-left: 16px; margin-right: 16px; }
  .ce-hint { display: none; }
}
`;
