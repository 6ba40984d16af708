import type { MessageDto } from '@plauder/protocol';
import { describe, expect, it } from 'vitest';
import {
  defaultTargetLang,
  isTranslatable,
  languageOptions,
  TARGET_LANGUAGES,
  translationLabel,
  translationPath,
} from './translation.js';

const message = (change: Partial<MessageDto>): MessageDto => ({
  id: 'message-1',
  conversationId: '0b6f1b1e-5b0f-4c55-9a43-1a4b9a1f0c2d',
  seq: 1,
  authorKind: 'visitor',
  kind: 'text',
  body: 'Wo ist meine Bestellung?',
  createdAt: 0,
  ...change,
});

describe('translating a message in the console', () => {
  it("translates into the browser's language without its region, else English", () => {
    expect(defaultTargetLang('de-DE')).toBe('DE');
    expect(defaultTargetLang('fr')).toBe('FR');
    expect(defaultTargetLang('en-GB')).toBe('EN');
    expect(defaultTargetLang('fil-PH')).toBe('EN');
    expect(defaultTargetLang('')).toBe('EN');
    expect(defaultTargetLang(undefined)).toBe('EN');
  });

  it("offers the operator's own language first when it is not among the usual ones", () => {
    expect(languageOptions('DE')).toBe(TARGET_LANGUAGES);
    expect(
      languageOptions('FI')
        .map((l) => l.code)
        .slice(0, 3),
    ).toEqual(['FI', 'DE', 'EN']);
  });

  it('offers Translate on text people wrote only', () => {
    expect(isTranslatable(message({}))).toBe(true);
    expect(isTranslatable(message({ authorKind: 'operator' }))).toBe(true);
    expect(isTranslatable(message({ kind: 'note' }))).toBe(false);
    expect(isTranslatable(message({ authorKind: 'system' }))).toBe(false);
    expect(isTranslatable(message({ body: '  ' }))).toBe(false);
    expect(
      isTranslatable(message({ body: 'photo.png', attachment: { id: 'a', contentType: 'image/png', sizeBytes: 1 } })),
    ).toBe(false);
  });

  it('asks the message of its conversation, and marks the answer as machine translated', () => {
    expect(translationPath(message({ id: 'm/1' }))).toBe(
      '/api/v1/conversations/0b6f1b1e-5b0f-4c55-9a43-1a4b9a1f0c2d/messages/m%2F1/translation',
    );
    const answer = { messageId: 'message-1', targetLang: 'EN', text: 'Where is my order?' };
    expect(translationLabel({ ...answer, detectedSourceLang: 'DE' })).toBe('Machine translated from DE into EN');
    expect(translationLabel({ ...answer, detectedSourceLang: null })).toBe('Machine translated into EN');
  });
});
