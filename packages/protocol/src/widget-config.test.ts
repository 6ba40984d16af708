import { describe, expect, it } from 'vitest';
import { WidgetSettings } from './widget-config.js';

describe('widget settings', () => {
  it('fill every default into an empty object, the nested privacy settings too', () => {
    expect(WidgetSettings.parse({})).toEqual({
      color: '#2f6fed',
      textColor: '#ffffff',
      position: 'right',
      buttonLabel: null,
      greeting: null,
      operatorDisplay: 'name-and-avatar',
      language: 'auto',
      businessHours: null,
      allowedOrigins: [],
      privacy: { optIn: true, policyUrl: null, noticeText: null },
    });
    expect(WidgetSettings.parse({ privacy: { optIn: false } }).privacy).toEqual({
      optIn: false,
      policyUrl: null,
      noticeText: null,
    });
  });

  it('keep site origins as lower-case scheme, host and port', () => {
    expect(
      WidgetSettings.parse({ allowedOrigins: ['https://WWW.Acme.test', 'http://localhost:8080'] }).allowedOrigins,
    ).toEqual(['https://www.acme.test', 'http://localhost:8080']);
    for (const origin of [
      'https://acme.test/shop',
      'acme.test',
      'ftp://acme.test',
      'https://acme.test?x',
      'https://acme.test:443',
      'https://a;b.test',
      'https://a,b.test',
      'https://user@acme.test',
      'https://bücher.test',
    ]) {
      expect(WidgetSettings.safeParse({ allowedOrigins: [origin] }).success).toBe(false);
    }
  });

  it('refuse what a page could be made to run or show: script URLs, markup colors, empty texts', () => {
    expect(WidgetSettings.safeParse({ privacy: { policyUrl: 'javascript:alert(1)' } }).success).toBe(false);
    expect(WidgetSettings.safeParse({ privacy: { policyUrl: 'https://acme.test/privacy' } }).success).toBe(true);
    expect(WidgetSettings.safeParse({ color: 'red;background:url(x)' }).success).toBe(false);
    expect(WidgetSettings.safeParse({ buttonLabel: '   ' }).success).toBe(false);
    expect(WidgetSettings.safeParse({ privacy: { noticeText: ' ' } }).success).toBe(false);
    expect(WidgetSettings.safeParse({ privacy: { noticeText: 'x'.repeat(1001) } }).success).toBe(false);
    expect(WidgetSettings.parse({ privacy: { noticeText: ' We keep it. ' } }).privacy.noticeText).toBe('We keep it.');
    expect(WidgetSettings.safeParse({ language: 'fr' }).success).toBe(false);
    expect(
      WidgetSettings.safeParse({
        businessHours: { timeZone: 'Europe/Berlin', spans: [{ day: 7, open: '09:00', close: '17:00' }] },
      }).success,
    ).toBe(false);
  });
});
