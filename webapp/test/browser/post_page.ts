/**
 * A stand-in for how the Mattermost webapp shows a bot post: its Markdown message and its message
 * attachment (colour bar, buttons, menu), in the light (Denim) or dark (Onyx) theme. Only the
 * Markdown the escalation post uses is rendered: paragraphs whose single line breaks show as breaks
 * (as in Mattermost), block quotes, **bold**, `code`, [links](url), @mentions and ~channels.
 * It draws the README pictures from the real server's post JSON; it is not Mattermost's renderer.
 */

export interface PostAction {
    id: string;
    name: string;
    type?: string;
    style?: string;
}

export interface PostAttachment {
    color?: string;
    text?: string;
    actions?: PostAction[];
}

export interface PostJson {
    message: string;
    props: {attachments?: PostAttachment[]} & Record<string, unknown>;
}

export type Theme = 'light' | 'dark';

const THEMES: Record<Theme, Record<string, string>> = {
    light: {bg: '#ffffff', text: '#3f4350', link: '#386fe5', button: '#1c58d9', code: 'rgba(63,67,80,.08)',
        border: 'rgba(63,67,80,.16)', quote: 'rgba(63,67,80,.64)', mention: '#386fe5', good: '#3db887'},
    dark: {bg: '#191b1f', text: '#dddddd', link: '#5d89ea', button: '#1c58d9', code: 'rgba(221,221,221,.1)',
        border: 'rgba(221,221,221,.16)', quote: 'rgba(221,221,221,.64)', mention: '#5d89ea', good: '#3db887'},
};

function escapeHtml(text: string): string {
    return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

// Backslash escapes of Markdown punctuation: the character itself, never Markdown.
const ESCAPED = /\\([\\`*_{}[\]()#+\-.!|~>])/g;
const HELD = /\uE000(\d+)\uE000/g;

/** One line of inline Markdown: backslash escapes first (held aside as plain characters), code
 * spans next (nothing inside them is Markdown), then the rest. */
export function inline(text: string): string {
    const held: string[] = [];
    const unescaped = text.replace(ESCAPED, (_match, c: string) => `\uE000${held.push(c) - 1}\uE000`);
    return unescaped.split(/(`[^`]*`)/).map((part) => {
        if (part.startsWith('`') && part.endsWith('`') && part.length > 1) {
            return `<code>${escapeHtml(part.slice(1, -1))}</code>`;
        }
        return escapeHtml(part).
            replace(/\[([^\]]+)\]\((https?:\/\/[^)\s]+)\)/g, '<a href="$2">$1</a>').
            replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>').
            replace(/(^|[\s(])@([a-z0-9._-]*[a-z0-9])/g, '$1<a class="mention">@$2</a>').
            replace(/(^|\s)~([a-z0-9-]+)/g, '$1<a class="channel">~$2</a>');
    }).join('').replace(HELD, (_match, i: string) => escapeHtml(held[Number(i)]));
}

/** The message's blocks: block quotes and paragraphs, separated by blank lines. */
export function markdown(message: string): string {
    const blocks: string[] = [];
    let lines: string[] = [];
    let quote = false;
    const flush = (): void => {
        if (lines.length) {
            const body = lines.map(inline).join('<br>');
            blocks.push(quote ? `<blockquote><p>${body}</p></blockquote>` : `<p>${body}</p>`);
        }
        lines = [];
    };
    for (const line of message.split('\n')) {
        if (!line.trim()) {
            flush();
            quote = false;
            continue;
        }
        const quoted = line.startsWith('>');
        if (quoted && !quote) {
            flush();
            quote = true;
        }
        // A plain line right after a quote line joins the quote (Markdown's lazy continuation).
        lines.push(quoted ? line.replace(/^>\s?/, '') : line);
    }
    flush();
    return blocks.join('');
}

function action(a: PostAction): string {
    if (a.type === 'select') {
        return `<button class="action select" data-id="${escapeHtml(a.id)}">${escapeHtml(a.name)} ▾</button>`;
    }
    return `<button class="action ${escapeHtml(a.style ?? 'default')}" data-id="${escapeHtml(a.id)}">${escapeHtml(a.name)}</button>`;
}

function attachment(a: PostAttachment): string {
    const actions = (a.actions ?? []).map(action).join('');
    return `<div class="attachment" style="border-left-color:${escapeHtml(a.color ?? '#ccc')}">`
        + (a.text ? `<div class="attachment-text">${markdown(a.text)}</div>` : '')
        + (actions ? `<div class="actions">${actions}</div>` : '')
        + '</div>';
}

/** A whole page showing ``post`` as the bot's post in a channel, in ``theme``. */
export function postPage(post: PostJson, theme: Theme): string {
    const t = THEMES[theme];
    const css = `
body { margin: 0; background: ${t.bg}; color: ${t.text}; font: 14px/20px 'Open Sans', sans-serif; }
.post { display: flex; gap: 12px; padding: 12px 20px; width: 760px; }
.avatar { width: 36px; height: 36px; border-radius: 50%; background: #1e325c; color: #fff; font-weight: 600;
  display: flex; align-items: center; justify-content: center; flex: none; }
.header { font-weight: 600; } .bot { font-size: 10px; font-weight: 600; padding: 0 4px; margin-left: 4px;
  border-radius: 2px; background: ${t.code}; } .time { margin-left: 6px; font-weight: 400; opacity: .64; font-size: 12px; }
.body { flex: 1; min-width: 0; } p { margin: 0 0 8px; } p:last-child { margin-bottom: 0; }
a { color: ${t.link}; text-decoration: none; } a.mention, a.channel { color: ${t.mention}; }
code { font: 12px/16px Menlo, monospace; background: ${t.code}; border-radius: 3px; padding: 1px 4px; }
blockquote { margin: 4px 0 8px; padding: 0 0 0 12px; border-left: 4px solid ${t.border}; color: ${t.quote}; }
.attachment { margin-top: 8px; padding: 6px 12px 12px; border: 1px solid ${t.border}; border-left: 4px solid; border-radius: 4px; }
.actions { display: flex; flex-wrap: wrap; gap: 8px; margin-top: 6px; }
.action { font: 600 12px 'Open Sans', sans-serif; padding: 6px 12px; border-radius: 4px; cursor: pointer;
  border: 1px solid ${t.border}; background: transparent; color: ${t.link}; }
.action.primary { background: ${t.button}; border-color: ${t.button}; color: #fff; }
.action.good { border-color: ${t.good}; color: ${t.good}; }
.action.select { color: ${t.text}; min-width: 200px; text-align: left; }`;
    const attachments = (post.props.attachments ?? []).map(attachment).join('');
    return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Escalation post</title><style>${css}</style></head>
<body><main class="post" aria-label="Escalation post"><div class="avatar" aria-hidden="true">CE</div><div class="body">
<div class="header">community-escalations<span class="bot">BOT</span><span class="time">10:42 AM</span></div>
<div class="message">${markdown(post.message)}</div>${attachments}</div></main></body></html>`;
}
