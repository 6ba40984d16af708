import { describe, expect, it } from 'vitest';
import { CreateWidgetRequest, UpdateWidgetRequest } from './widgets.js';

describe('a widget change', () => {
  it('leaves out what it does not name, rather than filling in the defaults over the stored settings', () => {
    expect(UpdateWidgetRequest.parse({ settings: { color: '#112233', privacy: {} } })).toEqual({
      settings: { color: '#112233', privacy: {} },
    });
    expect(UpdateWidgetRequest.parse({ name: ' Shop ' })).toEqual({ name: 'Shop' });
  });

  it('takes null for a setting whose default is null, and normalizes site origins as the settings do', () => {
    expect(
      UpdateWidgetRequest.parse({
        settings: {
          greeting: null,
          allowedOrigins: ['https://WWW.Acme.test'],
          privacy: { policyUrl: null, noticeText: null },
        },
      }),
    ).toEqual({
      settings: {
        greeting: null,
        allowedOrigins: ['https://www.acme.test'],
        privacy: { policyUrl: null, noticeText: null },
      },
    });
    expect(UpdateWidgetRequest.safeParse({ settings: { color: null } }).success).toBe(false);
  });

  it('refuses unknown keys at every level', () => {
    for (const change of [
      { colour: '#112233' },
      { settings: { colour: '#112233' } },
      { settings: { privacy: { x: 1 } } },
    ])
      expect(UpdateWidgetRequest.safeParse(change).success).toBe(false);
  });
});

describe('a new widget', () => {
  it('needs a name, takes settings in the shape of a change, and refuses unknown keys', () => {
    expect(CreateWidgetRequest.parse({ name: ' Shop ', settings: { color: '#112233' } })).toEqual({
      name: 'Shop',
      settings: { color: '#112233' },
    });
    expect(CreateWidgetRequest.parse({ name: 'Shop' })).toEqual({ name: 'Shop' });
    for (const body of [{}, { name: '  ' }, { name: 'x'.repeat(101) }, { name: 'Shop', publicKey: 'pk_mine' }])
      expect(CreateWidgetRequest.safeParse(body).success).toBe(false);
  });
});
