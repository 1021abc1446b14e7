/**
 * The page around every page: the theme (the system's light or dark), the
 * navigation, a skip link, where the connection state and action results
 * are announced, and what the page's script needs (the CSRF token, the last
 * event it has seen, what its live stream listens to).
 */
import { html, query, type Html } from '../html.js';
import type { Page } from './page.js';

export function layout(p: Page, csrf: string): Html {
  const live = `/live/events${query({ name: p.live?.name, project: p.live?.project })}`;
  const nav = (href: string, label: string, kind: string) =>
    html`<a href="${href}"${p.kind === kind ? html` aria-current="page"` : ''}>${label}</a>`;
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
${p.retry ? html`<meta http-equiv="refresh" content="3">\n` : ''}<meta name="oj-csrf" content="${csrf}">
<meta name="oj-last-event" content="${p.lastEvent}">
<meta name="oj-live" content="${live}">
<title>${p.title} · oj</title>
<link rel="icon" href="/static/favicon.svg" type="image/svg+xml">
<link rel="stylesheet" href="/static/style.css">
${p.extraHead ?? ''}<script type="module" src="/static/app.js"></script>
</head>
<body data-page="${p.kind}">
<a class="skip" href="#main">Skip to the content</a>
<header class="top">
<nav aria-label="Dashboard"><span class="brand">oj</span>${nav('/', 'Overview', 'overview')}${nav('/events', 'Events', 'events')}</nav>
<p id="conn" role="status" aria-live="polite" class="conn"></p>
</header>
<main id="main" tabindex="-1">
${p.body}
</main>
<p id="flash" role="status" aria-live="polite" class="flash"></p>
</body>
</html>
`;
}

/** A page that says what went wrong (a refusal, a daemon away), with a way back. */
export function problemPage(title: string, message: string, back: string | null): Page {
  return {
    title,
    kind: 'problem',
    lastEvent: 0,
    body: html`<h1>${title}</h1><p class="problem">${message}</p>${back ? html`<p><a href="${back}">Back</a></p>` : ''}`,
  };
}
