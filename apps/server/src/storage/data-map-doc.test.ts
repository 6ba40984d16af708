import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { dataMap } from './data-map.js';
import { renderDataMap, withRenderedDataMap } from './data-map-doc.js';

const privacyDoc = new URL('../../../../docs/PRIVACY.md', import.meta.url);

describe('the data map in docs/PRIVACY.md', () => {
  it('matches the declaration in code (run npm run docs after changing the map)', () => {
    const document = readFileSync(privacyDoc, 'utf8');
    expect(withRenderedDataMap(document)).toBe(document);
  });

  it('lists every column of every table', () => {
    const rendered = renderDataMap();
    for (const [table, columns] of Object.entries(dataMap)) {
      expect(rendered).toContain(`### \`${table}\``);
      for (const column of Object.keys(columns)) expect(rendered).toContain(`| \`${column}\` |`);
    }
  });
});
