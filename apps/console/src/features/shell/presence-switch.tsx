import type { Presence } from '@plauder/protocol';
import { useState } from 'preact/hooks';
import { useStore } from '../../lib/store.js';
import type { Live } from '../../live/live.js';

const labels: Record<Presence, string> = { online: 'Online', away: 'Away', offline: 'Offline' };

/**
 * This operator's presence: online gets routed chats up to the capacity, away keeps the open ones
 * only. The capacity is how many chats at once routing gives them (0–100).
 */
export function PresenceSwitch(props: { live: Live }) {
  const presence = useStore(props.live.presence);
  const connection = useStore(props.live.connection);
  const readOnly = useStore(props.live.readOnly);
  // What is typed into the capacity until it is committed (change: Enter or leaving the field). The
  // input shows it, not the store: a presence frame that arrives meanwhile would otherwise put the
  // old capacity back under the typing, and the commit would then find nothing changed.
  const [typed, setTyped] = useState<string | null>(null);
  // Presence is a write: a closed (terminated) account refuses it.
  const offline = connection !== 'open' || readOnly;
  return (
    <span class="presence-controls">
      <label class={`presence presence-${presence.status}`}>
        <span class="sr-only">Your status</span>
        <select
          value={presence.status}
          disabled={offline}
          onChange={(event) => props.live.setPresence((event.target as HTMLSelectElement).value as Presence)}
        >
          {(['online', 'away', 'offline'] as const).map((status) => (
            <option key={status} value={status}>
              {labels[status]}
            </option>
          ))}
        </select>
      </label>
      <label class="capacity">
        Chats at once
        <input
          type="number"
          min={0}
          max={100}
          value={typed ?? presence.capacity}
          disabled={offline}
          onInput={(event) => setTyped((event.target as HTMLInputElement).value)}
          onChange={(event) => {
            setTyped(null);
            const capacity = Number((event.target as HTMLInputElement).value);
            if (Number.isInteger(capacity) && capacity >= 0 && capacity <= 100) props.live.setCapacity(capacity);
          }}
        />
      </label>
    </span>
  );
}
