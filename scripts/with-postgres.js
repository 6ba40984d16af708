#!/usr/bin/env node
// Runs a command with DATABASE_URL pointing at PostgreSQL: the given one, or the local test database.
import { spawnSync } from 'node:child_process';

const [command, ...args] = process.argv.slice(2);
if (!command) {
  process.stderr.write('usage: node scripts/with-postgres.js COMMAND [ARGS…]\n');
  process.exit(2);
}
const env = { ...process.env, DATABASE_URL: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test' };
const result = spawnSync(command, args, { stdio: 'inherit', env, shell: process.platform === 'win32' });
process.exit(result.status ?? 1);
