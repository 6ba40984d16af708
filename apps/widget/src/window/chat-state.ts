import type { ConversationStatus } from '@plauder/protocol';
import type { ShownMessage } from './message-log.js';

/** Everything the window shows. */
export interface ChatState {
  connection: 'idle' | 'connecting' | 'open' | 'reconnecting';
  operatorsAvailable: boolean | null;
  /** The installation's longest message, from its welcome. */
  maxMessageChars: number;
  conversationId: string | null;
  status: ConversationStatus | null;
  queuePosition: number | null;
  operatorName: string | null;
  messages: readonly ShownMessage[];
  operatorTyping: boolean;
  /** The highest seq the operator has read. */
  readSeq: number;
  rated: boolean;
  deleted: boolean;
  offlineSent: boolean;
  /** Whether the window may offer the transcript by email: the website sends email (from the welcome). */
  transcriptByEmail: boolean;
  /** The transcript by email of this conversation: not asked for, asked for, on its way. */
  transcriptEmail: 'idle' | 'sending' | 'sent';
  /** The last error the visitor should see (an error code). */
  error: string | null;
}

/** A window before anything happened. */
export const initialState = (): ChatState => ({
  connection: 'idle',
  operatorsAvailable: null,
  maxMessageChars: 5000,
  conversationId: null,
  status: null,
  queuePosition: null,
  operatorName: null,
  messages: [],
  operatorTyping: false,
  readSeq: 0,
  rated: false,
  deleted: false,
  offlineSent: false,
  transcriptByEmail: false,
  transcriptEmail: 'idle',
  error: null,
});
