import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfig } from './config.js';
import { declaredStores } from './stores.js';

const masterKey = Buffer.alloc(32, 7).toString('base64');

describe('declaredStores', () => {
  it('places the embedded stores in the installation own region', () => {
    const stores = declaredStores(loadConfig({ DATA_DIR: '/srv/plauder', DATA_REGION: 'eu-central' }));
    expect(stores).toEqual([
      {
        store: 'database',
        kind: 'SQLite',
        location: path.join('/srv/plauder', 'plauder.db'),
        region: 'eu-central',
        inDataRegion: true,
      },
      { store: 'bus', kind: 'in-process', location: 'this process', region: 'eu-central', inDataRegion: true },
      {
        store: 'files',
        kind: 'directory',
        location: path.join('/srv/plauder', 'files'),
        region: 'eu-central',
        inDataRegion: true,
      },
      {
        store: 'backups',
        kind: 'directory',
        location: path.join('/srv/plauder', 'backups'),
        region: 'eu-central',
        inDataRegion: true,
      },
    ]);
  });

  it('names servers by host and declared region, never their credentials', () => {
    const stores = declaredStores(
      loadConfig({
        DATA_REGION: 'eu-central',
        DATABASE_URL: 'postgres://plauder:secret@db.internal:5432/plauder',
        DATABASE_REGION: 'eu-central-1',
        PLAUDER_MASTER_KEY: masterKey,
        REDIS_URL: 'redis://:redispass@cache.internal:6379',
        REDIS_REGION: 'eu-central-1',
        S3_BUCKET: 'chat-files',
        S3_ENDPOINT: 'https://s3.example.eu',
        S3_REGION: 'eu-central-1',
        S3_ACCESS_KEY_ID: 'AKIAEXAMPLE',
        S3_SECRET_ACCESS_KEY: 's3secret',
      }),
    );
    expect(stores.slice(0, 3)).toEqual([
      {
        store: 'database',
        kind: 'PostgreSQL',
        location: 'db.internal:5432',
        region: 'eu-central-1',
        inDataRegion: true,
      },
      { store: 'bus', kind: 'Redis', location: 'cache.internal:6379', region: 'eu-central-1', inDataRegion: true },
      {
        store: 'files',
        kind: 'S3-compatible bucket',
        location: 'bucket chat-files at s3.example.eu',
        region: 'eu-central-1',
        inDataRegion: true,
      },
    ]);
    expect(JSON.stringify(stores)).not.toMatch(/secret|redispass|AKIA/);
  });

  it('shows a server whose region is not declared as outside the data region', () => {
    const stores = declaredStores(
      loadConfig({ DATABASE_URL: 'postgres://db.internal/plauder', PLAUDER_MASTER_KEY: masterKey }),
    );
    expect(stores[0]).toMatchObject({ store: 'database', region: undefined, inDataRegion: false });
  });
});
