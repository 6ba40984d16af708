import type { SearchResultDto } from '@plauder/protocol';
import { useEffect, useState } from 'preact/hooks';
import { errorText, type Api } from '../../api.js';
import { href, navigate } from '../../lib/router.js';
import type { Live } from '../../live/live.js';
import { shortTime } from '../../lib/time.js';

/**
 * Search across transcripts. The installation keeps no readable text to search: it matches keyed
 * hashes of whole words (docs/PRIVACY.md, Search), so a word is found as written, in any case and
 * with or without accents, but not by a part of it.
 */
export function SearchPage(props: { api: Api; live: Live; query: string }) {
  const [text, setText] = useState(props.query);
  const [result, setResult] = useState<SearchResultDto | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);

  useEffect(() => {
    setText(props.query);
    if (!props.query.trim()) {
      setResult(null);
      return;
    }
    let current = true;
    setBusy(true);
    setError(null);
    props.api
      .request<SearchResultDto>('GET', `/api/v1/search?q=${encodeURIComponent(props.query)}`)
      .then((found) => {
        if (!current) return;
        props.live.addSummaries(found.hits.map((hit) => hit.conversation));
        setResult(found);
      })
      .catch((caught: unknown) => current && setError(errorText(caught)))
      .finally(() => current && setBusy(false));
    return () => {
      current = false;
    };
  }, [props.query]);

  return (
    <section class="page search">
      <h1>Search</h1>
      <form
        role="search"
        onSubmit={(event) => {
          event.preventDefault();
          navigate(`/search?q=${encodeURIComponent(text.trim())}`);
        }}
      >
        <label>
          Words in a conversation
          <input
            type="search"
            value={text}
            autoFocus
            onInput={(event) => setText((event.target as HTMLInputElement).value)}
          />
        </label>
        <button type="submit">Search</button>
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
            {result.hits.map((hit) => (
              <li key={hit.conversation.id}>
                <a
                  href={href(
                    `/inbox/${hit.conversation.status === 'closed' ? 'closed' : 'open'}/${hit.conversation.id}`,
                  )}
                >
                  <strong>{hit.conversation.contactName ?? 'Visitor'}</strong> · {hit.conversation.status} ·{' '}
                  {shortTime(hit.conversation.createdAt)} · {hit.matchingMessages} matching message
                  {hit.matchingMessages === 1 ? '' : 's'}
                </a>
              </li>
            ))}
          </ul>
        </>
      )}
    </section>
  );
}
