import { randomBytes, randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { signVisitorToken, verifyVisitorToken, VisitorTokenError } from './visitor-token.js';

const key = randomBytes(32);
const claims = { accountId: randomUUID(), widgetId: randomUUID(), visitorId: randomUUID(), expiresAt: 2_000 };

function reasonOf(run: () => unknown): string | undefined {
  try {
    run();
    return undefined;
  } catch (error) {
    return error instanceof VisitorTokenError ? error.reason : 'other';
  }
}

describe('visitor tokens', () => {
  it('carry their claims until they expire', () => {
    const token = signVisitorToken(key, claims);
    expect(token.startsWith('vt1.')).toBe(true);
    expect(verifyVisitorToken(key, token, 1_999)).toEqual(claims);
    expect(reasonOf(() => verifyVisitorToken(key, token, 2_000))).toBe('expired');
  });

  it('are refused when signed by another installation', () => {
    const token = signVisitorToken(randomBytes(32), claims);
    expect(reasonOf(() => verifyVisitorToken(key, token, 0))).toBe('forged');
  });

  it('are refused when their claims were changed, however little', () => {
    const [prefix, , signature] = signVisitorToken(key, claims).split('.');
    const changed = Buffer.from(JSON.stringify({ ...claims, accountId: randomUUID() })).toString('base64url');
    expect(reasonOf(() => verifyVisitorToken(key, `${prefix}.${changed}.${signature}`, 0))).toBe('forged');
    const longer = { ...claims, expiresAt: Number.MAX_SAFE_INTEGER };
    const extended = Buffer.from(JSON.stringify(longer)).toString('base64url');
    expect(reasonOf(() => verifyVisitorToken(key, `${prefix}.${extended}.${signature}`, 0))).toBe('forged');
  });

  it('are refused when they are not tokens at all', () => {
    for (const token of ['', 'vt1', 'vt1.a', 'vt2.a.b', 'vt1.a.b.c', 'Bearer x']) {
      expect(
        reasonOf(() => verifyVisitorToken(key, token, 0)),
        token,
      ).toMatch(/malformed|forged/);
    }
  });
});
