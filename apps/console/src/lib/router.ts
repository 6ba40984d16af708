/**
 * The console's addresses, under /app: every view has one, so a reload or a shared link opens it
 * again. Navigation uses the history API; the server answers the console's page for every /app path.
 */
import { Store, useStore } from './store.js';

const BASE = '/app';

/** Where the console is: the path below /app, split, and the query. */
export interface Route {
  parts: string[];
  query: URLSearchParams;
}

function current(): Route {
  const path = location.pathname.startsWith(BASE) ? location.pathname.slice(BASE.length) : '';
  return {
    parts: path.split('/').filter(Boolean).map(decodeURIComponent),
    query: new URLSearchParams(location.search),
  };
}

const route = new Store<Route>(current());
addEventListener('popstate', () => route.set(current()));

/** Goes to a console path such as `/inbox/mine`; `replace` keeps the history entry. */
export function navigate(path: string, options: { replace?: boolean } = {}): void {
  const url = BASE + path;
  if (url === location.pathname + location.search) return;
  if (options.replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  route.set(current());
}

/** The current route, rendering again when it changes. */
export function useRoute(): Route {
  return useStore(route);
}

/** A link within the console, for `<a href>`: click handling goes through `onLinkClick`. */
export function href(path: string): string {
  return BASE + path;
}

/** Follows a console link without a page load (plain clicks only; a new tab stays a new tab). */
export function onLinkClick(event: MouseEvent): void {
  const anchor = (event.target as Element).closest('a');
  if (!anchor || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
  const url = new URL(anchor.href, location.href);
  if (url.origin !== location.origin || !url.pathname.startsWith(BASE) || anchor.target) return;
  event.preventDefault();
  navigate(url.pathname.slice(BASE.length) + url.search);
}
