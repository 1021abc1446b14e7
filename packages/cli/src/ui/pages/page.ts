/** What every page handler gets and gives back. */
import type { Html } from '../html.js';
import type { DaemonLink } from '../daemon-link.js';

export interface PageContext {
  link: DaemonLink;
  query: URLSearchParams;
  /** The CSRF token the page's forms carry. */
  csrf: string;
  /** This page's path and query: where an action sends the browser back. */
  here: string;
  now: number;
}

export interface Page {
  title: string;
  /** Which page (body's data-page): overview, pipeline, queue, session, events. */
  kind: string;
  body: Html;
  /** The newest event when the page was made: the live stream starts after it. */
  lastEvent: number;
  /** What the page's live stream listens to (the events stream's filters); default: everything. */
  live?: { name?: string; project?: string };
  /** More for the page's head (the terminal's script and styles). */
  extraHead?: Html;
  /** Reload by itself in a few seconds (the daemon is away): pages without the script retry too. */
  retry?: boolean;
}
