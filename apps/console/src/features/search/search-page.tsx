import type { SearchResultDto } from '@plauder/protocol';
import { useState } from 'preact/hooks';
import { errorText, type Api } from '../../api.js';
import { href } from '../../lib/router.js';
import { shortTime } from '../../lib/time.js';
import { conversationPath, titleOf } from '../../live/inbox.js';
import type { Live } from '../../live/live.js';

/**
 * Search across transcripts. The installation keeps no readable text to search: it matches keyed
 * hashes of whole words (docs/PRIVACY.md, Search), so a word is found as written, in any case and
 * with or without accents, but not by a part of it. The words travel in the request's body, never in
 * an address (no proxy log or browser history keeps them); the page keeps the last result while the
 * console is open.
 */
export function SearchPage(props: { api: Api; live: Live }) {
  const [text, setText] = useState(lastSearch.text);
  const [result, setResult] = useState<SearchResultDto | null>(lastSearch.result);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  const search = async (event: Event) => {
    event.preventDefault();
    const q = text.trim();
    if (!q) return;
    setBusy(true);
    setError(null);
    try {
      const found = await props.api.request<SearchResultDto>('POST', '/api/v1/search', { q });
      props.live.addSummaries(found.hits.map((hit) => hit.conversation));
      lastSearch = { text: q, result: found };
      setResult(found);
    } catch (caught) {
      setError(errorText(caught));
    } finally {
      setBusy(false);
    }
  };

  return (
    <section class="page search">
      <h1>Search</h1>
      <form role="search" onSubmit={(event) => void search(event)}>
        <label>
          Words in a conversation
          <input
            type="search"
            value={text}
            autoFocus
            onInput={(event) => setText((event.target as HTMLInputElement).value)}
          />
        </label>
        <button type="submit" disabled={busy}>
          Search
        </button>
      </form>
      {busy && <p class="loading">Searching…</p>}
      {error && <p class="error">{error}</p>}
      {result && !busy && (
        <>
          <p class="muted">
            {result.hits.length === 0
              ? 'No conversation holds all of these words in one message.'
              : `${result.hits.length} conversation${result.hits.length === 1 ? '' : 's'}`}
          </p>
          <ul class="hits">
            {result.hits.map(({ conversation, matchingMessages }) => (
              <li key={conversation.id}>
                <a href={href(conversationPath(conversation))}>
                  <strong>{titleOf(conversation)}</strong> · {conversation.status} · {shortTime(conversation.createdAt)}{' '}
                  · {matchingMessages} matching message{matchingMessages === 1 ? '' : 's'}
                </a>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}

/** The last search, shown again when the operator comes back to the page. */
let lastSearch: { text: string; result: SearchResultDto | null } = { text: '', result: null };
