/**
 * How the console calls attention to a new waiting conversation: a short tone, the waiting count in
 * the tab's title, a browser notification. Each can be switched off; the choice stays in this
 * browser (localStorage of the console's own origin: operator preferences, nothing of visitors).
 */
import { useEffect } from 'preact/hooks';
import { Store, useStore } from '../../lib/store.js';
import { countsOf } from '../../live/inbox.js';
import type { Live } from '../../live/live.js';

/** The alert switches. */
export interface AlertSettings {
  sound: boolean;
  title: boolean;
  notification: boolean;
}

const KEY = 'plauder.console.alerts';
const TITLE = 'Plauder';

function load(): AlertSettings {
  const defaults = { sound: true, title: true, notification: false };
  try {
    const saved = JSON.parse(localStorage.getItem(KEY) ?? '{}') as Partial<AlertSettings>;
    return {
      sound: typeof saved.sound === 'boolean' ? saved.sound : defaults.sound,
      title: typeof saved.title === 'boolean' ? saved.title : defaults.title,
      notification: typeof saved.notification === 'boolean' ? saved.notification : defaults.notification,
    };
  } catch {
    return defaults;
  }
}

/** The switches, shared by the inbox's toggles and the alerting. */
export const alertSettings = new Store<AlertSettings>(load());
alertSettings.subscribe(() => localStorage.setItem(KEY, JSON.stringify(alertSettings.get())));

/** Turns an alert on or off; a browser notification asks the browser's permission first. */
export async function setAlert(kind: keyof AlertSettings, on: boolean): Promise<void> {
  if (kind === 'notification' && on && 'Notification' in window && Notification.permission !== 'granted') {
    on = (await Notification.requestPermission()) === 'granted';
  }
  alertSettings.update((settings) => ({ ...settings, [kind]: on }));
}

let audio: AudioContext | undefined;

/** Two short tones, made in the browser (no sound file to load). */
function chime(): void {
  audio ??= new AudioContext();
  const start = audio.currentTime;
  for (const [offset, frequency] of [
    [0, 880],
    [0.16, 1320],
  ] as const) {
    const tone = audio.createOscillator();
    const gain = audio.createGain();
    tone.frequency.value = frequency;
    gain.gain.setValueAtTime(0.15, start + offset);
    gain.gain.exponentialRampToValueAtTime(0.001, start + offset + 0.14);
    tone.connect(gain).connect(audio.destination);
    tone.start(start + offset);
    tone.stop(start + offset + 0.15);
  }
}

/** Alerts for new waiting conversations, and the waiting count in the title, while the console is open. */
export function useAlerts(live: Live): void {
  const settings = useStore(alertSettings);
  const inbox = useStore(live.inbox);
  const waiting = countsOf(inbox, live.operatorId).waiting;
  useEffect(() => {
    document.title = settings.title && waiting > 0 ? `(${waiting}) ${TITLE}` : TITLE;
  }, [settings.title, waiting]);
  useEffect(() => {
    live.onWaiting = () => {
      const now = alertSettings.get();
      if (now.sound) {
        try {
          chime();
        } catch {
          // No audio output: the other alerts remain.
        }
      }
      if (now.notification && 'Notification' in window && Notification.permission === 'granted' && document.hidden) {
        // Says that someone waits, never what they wrote.
        new Notification('A visitor is waiting', {
          body: 'A new conversation waits in the inbox.',
          tag: 'plauder-waiting',
        });
      }
    };
    return () => {
      live.onWaiting = () => undefined;
    };
  }, [live]);
}
