import type { Presence } from '@plauder/protocol';
import { useStore } from '../../lib/store.js';
import type { Live } from '../../live/live.js';

const labels: Record<Presence, string> = { online: 'Online', away: 'Away', offline: 'Offline' };

/** This operator's presence: online gets routed chats, away keeps the open ones only. */
export function PresenceSwitch(props: { live: Live }) {
  const presence = useStore(props.live.presence);
  const connection = useStore(props.live.connection);
  return (
    <label class={`presence presence-${presence.status}`}>
      <span class="sr-only">Your status</span>
      <select
        value={presence.status}
        disabled={connection !== 'open'}
        onChange={(event) => props.live.setPresence((event.target as HTMLSelectElement).value as Presence)}
      >
        {(['online', 'away', 'offline'] as const).map((status) => (
          <option key={status} value={status}>
            {labels[status]}
          </option>
        ))}
      </select>
    </label>
  );
}
