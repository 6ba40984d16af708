// Regenerates the parts of docs/ that are derived from code: the data map in docs/PRIVACY.md.
import { readFileSync, writeFileSync } from 'node:fs';
import { withRenderedDataMap } from '../apps/server/src/storage/data-map-doc.js';

const file = new URL('../docs/PRIVACY.md', import.meta.url);
const before = readFileSync(file, 'utf8');
const after = withRenderedDataMap(before);
writeFileSync(file, after);
process.stdout.write(before === after ? 'docs/PRIVACY.md is up to date\n' : 'docs/PRIVACY.md: data map rewritten\n');
