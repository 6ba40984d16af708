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
      // A long run of columns classed alike is one row that names its first and last.
      const names = [...rendered.matchAll(/`([a-z0-9_]+)` … `([a-z0-9_]+)` \((\d+) columns\)/g)];
      const listed = (column: string) =>
        rendered.includes(`| \`${column}\` |`) ||
        names.some(([, first, last]) => {
          const keys = Object.keys(columns);
          const [from, to] = [keys.indexOf(first ?? ''), keys.indexOf(last ?? '')];
          const at = keys.indexOf(column);
          return from >= 0 && from <= at && at <= to;
        });
      for (const column of Object.keys(columns)) expect(listed(column), column).toBe(true);
    }
  });
});
