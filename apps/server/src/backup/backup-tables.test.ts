import { describe, expect, it } from 'vitest';
import { dataMap } from '../storage/data-map.js';
import { DATA_TABLES, KEYRING_TABLES, REBUILT_TABLES, UNSAVED_TABLES } from './backup-tables.js';

describe('the tables of a backup', () => {
  it('name every table of the data map: in the data, in the keyring artifact, rebuilt, or left out with a reason', () => {
    const named = new Set<string>([
      ...DATA_TABLES,
      ...KEYRING_TABLES,
      ...Object.keys(REBUILT_TABLES),
      ...Object.keys(UNSAVED_TABLES),
    ]);
    expect([...named].sort()).toEqual(Object.keys(dataMap).sort());
    expect(DATA_TABLES).not.toContain('keyring');
  });
});
