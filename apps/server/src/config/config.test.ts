import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

const masterKey = randomBytes(32).toString('base64');
const postgresUrl = 'postgres://plauder:pw@db.internal:5432/plauder';
const s3Secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY';
const s3 = { S3_BUCKET: 'plauder-files', S3_ACCESS_KEY_ID: 'AKIAIOSFODNN7EXAMPLE', S3_SECRET_ACCESS_KEY: s3Secret };
const backupSecret = 'bPxRfiCYEXAMPLEKEYwJalrXUtnFEMI/K7MDENG';
const backupS3 = {
  BACKUP_S3_BUCKET: 'plauder-backups',
  BACKUP_S3_ACCESS_KEY_ID: 'AKIABACKUPEXAMPLE',
  BACKUP_S3_SECRET_ACCESS_KEY: backupSecret,
};

/** The ConfigError that loading `env` throws; fails the test when loading succeeds. */
function configErrorOf(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error(`loadConfig accepted ${JSON.stringify(env)}`);
}

describe('loadConfig', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(path.join(tmpdir(), 'plauder-config-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** Writes a file into the test directory and returns its path. */
  function file(name: string, content: string): string {
    const at = path.join(dir, name);
    writeFileSync(at, content);
    return at;
  }

  it('runs embedded on localhost:3000 with nothing set', () => {
    const config = loadConfig({});
    expect(config).toEqual({
      port: 3000,
      host: '127.0.0.1',
      dataDir: path.resolve('./data'),
      databaseUrl: undefined,
      redisUrl: undefined,
      masterKey: undefined,
      publicUrl: 'http://127.0.0.1:3000',
      dataRegion: 'local',
      logLevel: 'info',
      tls: undefined,
      trustProxy: [],
      sessionTtlMinutes: 720,
      maxBodyBytes: 1024 * 1024,
      keyCacheSize: 10_000,
      maxMessageChars: 5000,
      maxFrameBytes: 65_536,
      maxAttachmentBytes: 10 * 1024 * 1024,
      operatorGraceSeconds: 60,
      visitorSessionsPerMinute: 60,
      socketUpgradesPerMinute: 120,
      embedded: true,
      s3: undefined,
      accountGraceDays: 30,
      jobsPollIntervalMs: 1000,
      jobsConcurrency: 2,
      backup: {
        target: { kind: 'directory', directory: path.resolve('./data/backups') },
        timeUtc: { hour: 3, minute: 0 },
        keep: { daily: 7, weekly: 4, monthly: 6 },
        keyringDays: 7,
      },
      email: undefined,
      translation: undefined,
      webhookPrivateAddresses: 'refuse',
    });
  });

  it('takes the account grace period and the job settings within their bounds', () => {
    const config = loadConfig({ ACCOUNT_GRACE_DAYS: '0', JOBS_POLL_INTERVAL_MS: '250', JOBS_CONCURRENCY: '4' });
    expect(config).toMatchObject({ accountGraceDays: 0, jobsPollIntervalMs: 250, jobsConcurrency: 4 });
    const error = configErrorOf({ ACCOUNT_GRACE_DAYS: '366', JOBS_POLL_INTERVAL_MS: '99', JOBS_CONCURRENCY: '0' });
    expect(error.problems.map((p) => p.split(' ')[0])).toEqual([
      'ACCOUNT_GRACE_DAYS',
      'JOBS_POLL_INTERVAL_MS',
      'JOBS_CONCURRENCY',
    ]);
  });

  it('reads every variable it is given', () => {
    const config = loadConfig({
      PORT: '8080',
      HOST: '0.0.0.0',
      DATA_DIR: dir,
      DATABASE_URL: postgresUrl,
      DATABASE_REGION: 'eu-central-1',
      REDIS_URL: 'rediss://cache.internal:6380',
      REDIS_REGION: 'eu-central',
      PLAUDER_MASTER_KEY: masterKey,
      PUBLIC_URL: 'https://chat.example.com/',
      DATA_REGION: 'eu-central',
      LOG_LEVEL: 'warn',
      TRUST_PROXY: '10.0.0.1, 192.168.0.0/16,2001:db8::/32',
      SESSION_TTL_MINUTES: '60',
      MAX_BODY_BYTES: '2048',
      KEY_CACHE_SIZE: '500',
    });
    expect(config).toMatchObject({
      port: 8080,
      host: '0.0.0.0',
      dataDir: dir,
      databaseUrl: postgresUrl,
      databaseRegion: 'eu-central-1',
      redisUrl: 'rediss://cache.internal:6380',
      redisRegion: 'eu-central',
      publicUrl: 'https://chat.example.com',
      dataRegion: 'eu-central',
      logLevel: 'warn',
      trustProxy: ['10.0.0.1', '192.168.0.0/16', '2001:db8::/32'],
      sessionTtlMinutes: 60,
      maxBodyBytes: 2048,
      keyCacheSize: 500,
      embedded: false,
    });
    expect(config.masterKey?.equals(Buffer.from(masterKey, 'base64'))).toBe(true);
  });

  it('takes MAX_ATTACHMENT_BYTES from 1 KiB up to 100 MiB', () => {
    expect(loadConfig({ MAX_ATTACHMENT_BYTES: '1024' }).maxAttachmentBytes).toBe(1024);
    expect(loadConfig({ MAX_ATTACHMENT_BYTES: '104857600' }).maxAttachmentBytes).toBe(100 * 1024 * 1024);
  });

  it('takes OPERATOR_GRACE_SECONDS from 0 (hand back at once) to an hour', () => {
    expect(loadConfig({ OPERATOR_GRACE_SECONDS: '0' }).operatorGraceSeconds).toBe(0);
    expect(loadConfig({ OPERATOR_GRACE_SECONDS: '3600' }).operatorGraceSeconds).toBe(3600);
  });

  it('points the default public URL at localhost when listening on every interface', () => {
    expect(loadConfig({ HOST: '0.0.0.0', PORT: '4000' }).publicUrl).toBe('http://localhost:4000');
  });

  it.each([
    ['PORT', '0', 'a port number from 1 to 65535'],
    ['PORT', 'abc', 'a port number from 1 to 65535'],
    ['PORT', '65536', 'a port number from 1 to 65535'],
    ['LOG_LEVEL', 'verbose', 'one of fatal, error, warn, info, debug, trace, silent'],
    ['DATA_REGION', 'eu central', 'a region name of lowercase letters, digits and dashes'],
    ['DATA_REGION', 'EU-Central', 'a region name of lowercase letters, digits and dashes'],
    ['TRUST_PROXY', '10.0.0.0/33', 'a comma-separated list of IP addresses or CIDR ranges'],
    ['TRUST_PROXY', '10.0.0.1,proxy.internal', 'a comma-separated list of IP addresses or CIDR ranges'],
    ['TRUST_PROXY', '10.0.0.0/8/1', 'a comma-separated list of IP addresses or CIDR ranges'],
    ['PUBLIC_URL', 'ftp://chat.example.com', 'an http:// or https:// URL'],
    ['SESSION_TTL_MINUTES', '4', 'minutes from 5 to 43200'],
    ['MAX_BODY_BYTES', '1023', 'bytes from 1024 to 104857600'],
    ['MAX_ATTACHMENT_BYTES', '1023', 'bytes from 1024 to 104857600'],
    ['MAX_ATTACHMENT_BYTES', '104857601', 'bytes from 1024 to 104857600'],
    ['MAX_ATTACHMENT_BYTES', '10MB', 'bytes from 1024 to 104857600'],
    ['KEY_CACHE_SIZE', '-5', 'a count from 16 to 10000000'],
    ['OPERATOR_GRACE_SECONDS', '-1', 'seconds from 0 to 3600'],
    ['OPERATOR_GRACE_SECONDS', '3601', 'seconds from 0 to 3600'],
    ['VISITOR_SESSIONS_PER_MINUTE', '-1', 'a count from 0 (no limit) to 100000'],
    ['SOCKET_UPGRADES_PER_MINUTE', '100001', 'a count from 0 (no limit) to 100000'],
    ['TLS_CERT_FILE', '/nonexistent/cert.pem', 'a readable PEM certificate file'],
  ])('refuses %s=%s, saying what it expects and what it got', (name, value, expected) => {
    const error = configErrorOf({ [name]: value });
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toContain(`${name} is not ${expected}`);
    expect(error.problems[0]).toContain(`(got "${value}")`);
    expect(error.message).toContain(error.problems[0]);
  });

  it('refuses a DATABASE_URL that is not postgres:// without showing its password', () => {
    const error = configErrorOf({ DATABASE_URL: 'mysql://u:secret@h/db', PLAUDER_MASTER_KEY: masterKey });
    expect(error.message).toContain('DATABASE_URL is not a postgres:// URL');
    expect(error.message).toContain('mysql://u:***@h/db');
    expect(error.message).not.toContain('secret');
  });

  it('shows nothing of a secret that is not a URL with a host, such as one without its scheme', () => {
    const error = configErrorOf({
      DATABASE_URL: 'plauder:S3cretPw@db.internal:5432/plauder',
      PLAUDER_MASTER_KEY: masterKey,
    });
    expect(error.message).toContain('DATABASE_URL is not a postgres:// URL');
    expect(error.message).not.toContain('S3cretPw');
    expect(error.message).not.toContain('plauder:S3');
    expect(configErrorOf({ REDIS_URL: 'hunter2hunter2' }).message).not.toContain('hunter2');
  });

  it('does not show a password given in the query string of a refused URL', () => {
    const error = configErrorOf({
      DATABASE_URL: 'mysql://h/db?user=u&password=secret',
      REDIS_URL: 'http://cache/?auth=hunter2',
      PLAUDER_MASTER_KEY: masterKey,
    });
    expect(error.problems).toHaveLength(2);
    expect(error.message).toContain('mysql://h/db');
    expect(error.message).not.toContain('secret');
    expect(error.message).not.toContain('hunter2');
  });

  it('refuses a master key that is too short without showing it', () => {
    const shortKey = Buffer.from('sixteen byte key').toString('base64');
    const error = configErrorOf({ PLAUDER_MASTER_KEY: shortKey });
    expect(error.message).toContain('PLAUDER_MASTER_KEY is not 32 bytes in base64');
    expect(error.message).toContain(`*** (${shortKey.length} characters)`);
    expect(error.message).not.toContain(shortKey);
    expect(error.message).not.toContain(shortKey.slice(0, 8));
  });

  it('refuses a master key that is not base64 without showing it', () => {
    const notBase64 = 'this-is-no-base64-key-but-has-44-characters!';
    const error = configErrorOf({ PLAUDER_MASTER_KEY: notBase64 });
    expect(error.message).toContain('PLAUDER_MASTER_KEY is not 32 bytes in base64');
    expect(error.message).not.toContain(notBase64.slice(0, 8));
  });

  it('reports every bad value at once', () => {
    const error = configErrorOf({
      PORT: 'abc',
      LOG_LEVEL: 'loud',
      DATA_REGION: 'eu central',
      TRUST_PROXY: 'nowhere',
    });
    expect(error.problems.map((p) => p.split(' ')[0])).toEqual(['PORT', 'DATA_REGION', 'LOG_LEVEL', 'TRUST_PROXY']);
    for (const problem of error.problems) expect(error.message).toContain(problem);
  });

  it('refuses DATABASE_URL without PLAUDER_MASTER_KEY', () => {
    const error = configErrorOf({ DATABASE_URL: postgresUrl });
    expect(error.problems).toEqual([
      expect.stringContaining('PLAUDER_MASTER_KEY is required when DATABASE_URL is set'),
    ]);
    expect(error.message).toContain('openssl rand -base64 32');
    expect(error.message).not.toContain(':pw@');
  });

  it('refuses a TLS certificate without its key, and a key without its certificate', () => {
    const cert = file('cert.pem', 'certificate');
    const key = file('key.pem', 'private key');
    expect(configErrorOf({ TLS_CERT_FILE: cert }).problems).toEqual([
      expect.stringContaining('TLS_CERT_FILE and TLS_KEY_FILE must be set together'),
    ]);
    expect(configErrorOf({ TLS_KEY_FILE: key }).problems).toEqual([
      expect.stringContaining('TLS_CERT_FILE and TLS_KEY_FILE must be set together'),
    ]);
    const config = loadConfig({ TLS_CERT_FILE: cert, TLS_KEY_FILE: key, PORT: '8443' });
    expect(config.tls).toEqual({ certFile: cert, keyFile: key });
    expect(config.publicUrl).toBe('https://127.0.0.1:8443');
  });

  it('reports a lone TLS certificate together with the other problems', () => {
    const error = configErrorOf({ TLS_CERT_FILE: file('cert.pem', 'certificate'), PORT: 'abc' });
    expect(error.problems).toEqual([
      expect.stringContaining('PORT is not'),
      expect.stringContaining('TLS_CERT_FILE and TLS_KEY_FILE must be set together'),
    ]);
  });

  it('does not also call the TLS pair incomplete when one of its files is unreadable', () => {
    const error = configErrorOf({
      TLS_CERT_FILE: file('cert.pem', 'certificate'),
      TLS_KEY_FILE: path.join(dir, 'missing.pem'),
    });
    expect(error.problems).toEqual([expect.stringContaining('TLS_KEY_FILE is not a readable PEM private key file')]);
  });

  it('reads the JSON file named by PLAUDER_CONFIG, strings and numbers alike', () => {
    const config = loadConfig({
      PLAUDER_CONFIG: file('plauder.json', JSON.stringify({ PORT: 8081, DATA_REGION: 'eu-west', LOG_LEVEL: 'debug' })),
    });
    expect(config).toMatchObject({ port: 8081, dataRegion: 'eu-west', logLevel: 'debug' });
  });

  it('lets the environment win over the config file', () => {
    const config = loadConfig({
      PLAUDER_CONFIG: file('plauder.json', JSON.stringify({ PORT: 8081, DATA_REGION: 'eu-west' })),
      PORT: '9090',
    });
    expect(config).toMatchObject({ port: 9090, dataRegion: 'eu-west' });
  });

  it('treats an empty variable as unset, so the config file still counts', () => {
    const config = loadConfig({
      PLAUDER_CONFIG: file('plauder.json', JSON.stringify({ PORT: 8081 })),
      PORT: '',
    });
    expect(config.port).toBe(8081);
  });

  it('checks the values of the config file like those of the environment', () => {
    const error = configErrorOf({
      PLAUDER_CONFIG: file('plauder.json', JSON.stringify({ DATABASE_URL: 'mysql://u:secret@h/db', PORT: 0 })),
    });
    expect(error.problems.map((p) => p.split(' ')[0])).toEqual(['PORT', 'DATABASE_URL']);
    expect(error.message).not.toContain('secret');
  });

  it('refuses a config file that sets an unknown variable, naming it', () => {
    const at = file('plauder.json', JSON.stringify({ PORT: 8081, PROT: 8082 }));
    const error = configErrorOf({ PLAUDER_CONFIG: at });
    expect(error.problems).toEqual([`PLAUDER_CONFIG: "${at}" sets unknown variable PROT`]);
  });

  it('refuses a config file that is not valid JSON', () => {
    const at = file('plauder.json', '{ "PORT": 8081, }');
    const error = configErrorOf({ PLAUDER_CONFIG: at });
    expect(error.problems).toEqual([expect.stringContaining(`PLAUDER_CONFIG: "${at}" is not valid JSON`)]);
  });

  it('refuses a config file that is not one object of names and values', () => {
    const at = file('plauder.json', JSON.stringify({ PORT: { value: 8081 } }));
    expect(configErrorOf({ PLAUDER_CONFIG: at }).problems).toEqual([
      `PLAUDER_CONFIG: "${at}" must be one JSON object of NAME: value pairs`,
    ]);
  });

  it('refuses a config file it cannot read', () => {
    const at = path.join(dir, 'missing.json');
    expect(configErrorOf({ PLAUDER_CONFIG: at }).problems).toEqual([
      expect.stringContaining(`PLAUDER_CONFIG: cannot read "${at}"`),
    ]);
  });

  it('returns a frozen object', () => {
    const config = loadConfig({
      TRUST_PROXY: '10.0.0.1',
      TLS_CERT_FILE: file('cert.pem', 'certificate'),
      TLS_KEY_FILE: file('key.pem', 'private key'),
    });
    expect(Object.isFrozen(config)).toBe(true);
    expect(Object.isFrozen(config.trustProxy)).toBe(true);
    expect(Object.isFrozen(config.tls)).toBe(true);
    expect(() => {
      (config as { port: number }).port = 1;
    }).toThrow(TypeError);
    expect(config.port).toBe(3000);
  });
  describe('S3 file store', () => {
    it('is used when S3_BUCKET is set, with AWS defaults for the rest', () => {
      const config = loadConfig(s3);
      expect(config.s3).toEqual({
        endpoint: undefined,
        region: 'us-east-1',
        bucket: 'plauder-files',
        accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
        secretAccessKey: s3Secret,
        forcePathStyle: false,
        keyPrefix: '',
      });
      expect(Object.isFrozen(config.s3)).toBe(true);
    });

    it('reads every S3 variable it is given, ending the key prefix with "/"', () => {
      const config = loadConfig({
        ...s3,
        S3_ENDPOINT: 'https://s3.eu-central.example.net',
        S3_REGION: 'eu-central-1',
        S3_FORCE_PATH_STYLE: 'true',
        S3_KEY_PREFIX: 'eu/chat',
        S3_SECRET_ACCESS_KEY: `  ${s3Secret}\n`,
      });
      expect(config.s3).toEqual({
        endpoint: 'https://s3.eu-central.example.net',
        region: 'eu-central-1',
        bucket: 'plauder-files',
        accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
        secretAccessKey: s3Secret,
        forcePathStyle: true,
        keyPrefix: 'eu/chat/',
      });
      expect(loadConfig({ ...s3, S3_KEY_PREFIX: 'eu/', S3_FORCE_PATH_STYLE: 'false' }).s3).toMatchObject({
        keyPrefix: 'eu/',
        forcePathStyle: false,
      });
    });

    it('takes a JSON true for S3_FORCE_PATH_STYLE from the config file', () => {
      const at = file('plauder.json', JSON.stringify({ ...s3, S3_FORCE_PATH_STYLE: true }));
      expect(loadConfig({ PLAUDER_CONFIG: at }).s3?.forcePathStyle).toBe(true);
    });

    it('keeps the PostgreSQL and Redis servers in DATA_REGION (P1): each declares its region, which must lie in it', () => {
      const servers = { DATABASE_URL: postgresUrl, PLAUDER_MASTER_KEY: masterKey, REDIS_URL: 'redis://cache:6379' };
      expect(configErrorOf({ ...servers, DATA_REGION: 'eu-central' }).problems).toEqual([
        'DATABASE_REGION is required when DATA_REGION and DATABASE_URL are set: declare the region of the PostgreSQL server, which holds the personal data ("eu-central" or a region beginning with "eu-central-")',
        expect.stringContaining('REDIS_REGION is required when DATA_REGION and REDIS_URL are set'),
      ]);
      expect(
        configErrorOf({
          ...servers,
          DATA_REGION: 'eu-central',
          DATABASE_REGION: 'us-east-1',
          REDIS_REGION: 'eu-west-1',
        }).problems,
      ).toEqual([
        'DATABASE_REGION is "us-east-1", outside DATA_REGION "eu-central": the PostgreSQL server, which holds the personal data, must run in the declared region, "eu-central" or a region beginning with "eu-central-"',
        expect.stringContaining('REDIS_REGION is "eu-west-1", outside DATA_REGION "eu-central"'),
      ]);
      expect(
        loadConfig({
          ...servers,
          DATA_REGION: 'eu-central',
          DATABASE_REGION: 'eu-central-1',
          REDIS_REGION: 'eu-central',
        }),
      ).toMatchObject({ databaseRegion: 'eu-central-1', redisRegion: 'eu-central' });
      // Without a declared region nothing is judged; a bad name is refused as such, once.
      expect(loadConfig(servers)).toMatchObject({ databaseRegion: undefined, redisRegion: undefined });
      expect(
        configErrorOf({ ...servers, DATA_REGION: 'eu', DATABASE_REGION: 'EU', REDIS_REGION: 'eu' }).problems,
      ).toEqual([expect.stringContaining('DATABASE_REGION is not a region name')]);
    });

    it('keeps the file bucket in DATA_REGION (P1): its region, or the default one, must lie in it', () => {
      expect(loadConfig({ ...s3, DATA_REGION: 'eu-central', S3_REGION: 'eu-central-1' }).s3).toMatchObject({
        region: 'eu-central-1',
      });
      expect(configErrorOf({ ...s3, DATA_REGION: 'eu-central', S3_REGION: 'us-west-2' }).problems).toEqual([
        'S3_REGION is "us-west-2", outside DATA_REGION "eu-central"; attachments hold personal data, which stays in the declared region: use a bucket whose region is "eu-central" or begins with "eu-central-", and set S3_REGION to it',
      ]);
      expect(configErrorOf({ ...s3, DATA_REGION: 'eu-central' }).problems).toEqual([
        expect.stringContaining('S3_REGION is not set, so the file bucket is taken to be in "us-east-1"'),
      ]);
      // Undeclared, no region is judged; a refused one is not judged twice.
      expect(loadConfig({ ...s3, S3_REGION: 'ap-south-1' }).s3).toMatchObject({ region: 'ap-south-1' });
      expect(configErrorOf({ ...s3, DATA_REGION: 'eu', S3_REGION: 'EU' }).problems).toEqual([
        expect.stringContaining('S3_REGION is not a region name'),
      ]);
    });

    it.each([
      ['S3_ENDPOINT', 'ftp://s3.example.net', 'an http:// or https:// URL'],
      ['S3_ENDPOINT', 's3.example.net', 'an http:// or https:// URL'],
      ['S3_REGION', 'EU-Central-1', 'a region name of lowercase letters, digits and dashes'],
      ['S3_BUCKET', 'pf', 'a bucket name of 3 to 63 lowercase letters, digits, dots and dashes'],
      ['S3_BUCKET', 'Plauder_Files', 'a bucket name of 3 to 63 lowercase letters, digits, dots and dashes'],
      ['S3_BUCKET', 'plauder-files-', 'a bucket name of 3 to 63 lowercase letters, digits, dots and dashes'],
      ['S3_ACCESS_KEY_ID', 'AKIA IOSFODNN7', 'an access key id of printable characters without spaces'],
      ['S3_FORCE_PATH_STYLE', 'yes', 'true or false'],
      ['S3_KEY_PREFIX', '../other', 'a path of lowercase letters, digits'],
      ['S3_KEY_PREFIX', '/plauder/', 'a path of lowercase letters, digits'],
      ['S3_KEY_PREFIX', 'eu//chat', 'a path of lowercase letters, digits'],
    ])('refuses %s=%s, saying what it expects and what it got', (name, value, expected) => {
      const error = configErrorOf({ ...s3, [name]: value });
      expect(error.problems).toEqual([expect.stringContaining(`${name} is not ${expected}`)]);
      expect(error.problems[0]).toContain(`(got "${value}")`);
    });

    it('refuses a secret access key with a space without showing any of it', () => {
      const secret = 'wJalrXUtnFEMI K7MDENG';
      const error = configErrorOf({ ...s3, S3_SECRET_ACCESS_KEY: secret });
      expect(error.problems).toEqual([
        `S3_SECRET_ACCESS_KEY is not a secret access key of printable characters without spaces (got "*** (${secret.length} characters)")`,
      ]);
      expect(error.message).not.toContain('wJalr');
      expect(error.message).not.toContain('K7MDENG');
    });

    it('refuses S3_BUCKET without the credentials, naming what is missing', () => {
      expect(configErrorOf({ S3_BUCKET: 'plauder-files' }).problems).toEqual([
        'S3_ACCESS_KEY_ID and S3_SECRET_ACCESS_KEY are required when S3_BUCKET is set',
      ]);
      expect(configErrorOf({ ...s3, S3_SECRET_ACCESS_KEY: '' }).problems).toEqual([
        'S3_SECRET_ACCESS_KEY is required when S3_BUCKET is set',
      ]);
    });

    it('does not also call a credential missing when it was given but refused', () => {
      const error = configErrorOf({ ...s3, S3_ACCESS_KEY_ID: 'has space' });
      expect(error.problems).toEqual([expect.stringContaining('S3_ACCESS_KEY_ID is not')]);
    });

    it('refuses S3 settings without S3_BUCKET rather than keep the files locally unawares', () => {
      const { S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY } = s3;
      const error = configErrorOf({ S3_ENDPOINT: 'https://s3.example.net', S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY });
      expect(error.problems).toEqual([
        'S3_ENDPOINT, S3_ACCESS_KEY_ID, S3_SECRET_ACCESS_KEY are set but S3_BUCKET is not; set S3_BUCKET to keep files in S3, or unset them to keep them in DATA_DIR/files',
      ]);
      expect(error.message).not.toContain(s3Secret);
      expect(configErrorOf({ S3_REGION: 'eu-central-1' }).problems).toEqual([
        expect.stringContaining(
          'S3_REGION is set but S3_BUCKET is not; set S3_BUCKET to keep files in S3, or unset it',
        ),
      ]);
    });

    it('counts a refused S3_BUCKET as given, so the other S3 settings are not called stray', () => {
      const error = configErrorOf({ ...s3, S3_BUCKET: 'x', S3_REGION: 'eu-central-1' });
      expect(error.problems).toEqual([expect.stringContaining('S3_BUCKET is not a bucket name')]);
    });
  });
  describe('backups', () => {
    it('keeps them in BACKUP_DIR, DATA_DIR/backups by default', () => {
      expect(loadConfig({ DATA_DIR: dir }).backup.target).toEqual({
        kind: 'directory',
        directory: path.join(dir, 'backups'),
      });
      expect(loadConfig({ DATA_DIR: dir, BACKUP_DIR: 'relative/backups' }).backup.target).toEqual({
        kind: 'directory',
        directory: path.resolve('relative/backups'),
      });
    });

    it('takes the time of day and what is kept', () => {
      const config = loadConfig({
        BACKUP_TIME: '23:59',
        BACKUP_KEEP_DAILY: '0',
        BACKUP_KEEP_WEEKLY: '260',
        BACKUP_KEEP_MONTHLY: '12',
        BACKUP_KEYRING_DAYS: '1',
      });
      expect(config.backup).toMatchObject({
        timeUtc: { hour: 23, minute: 59 },
        keep: { daily: 0, weekly: 260, monthly: 12 },
        keyringDays: 1,
      });
      expect(loadConfig({ BACKUP_TIME: '00:00' }).backup.timeUtc).toEqual({ hour: 0, minute: 0 });
      expect(loadConfig({ BACKUP_TIME: 'off' }).backup.timeUtc).toBeUndefined();
    });

    it('keeps them in the bucket when BACKUP_S3_BUCKET is set, with AWS defaults for the rest', () => {
      const config = loadConfig(backupS3);
      expect(config.backup.target).toEqual({
        kind: 's3',
        endpoint: undefined,
        region: 'us-east-1',
        bucket: 'plauder-backups',
        accessKeyId: 'AKIABACKUPEXAMPLE',
        secretAccessKey: backupSecret,
        forcePathStyle: false,
        prefix: '',
      });
      expect(Object.isFrozen(config.backup)).toBe(true);
      expect(Object.isFrozen(config.backup.target)).toBe(true);
      // The file store's bucket is another setting.
      expect(config.s3).toBeUndefined();
    });

    it('reads every BACKUP_S3 variable it is given, ending the prefix with "/"', () => {
      const config = loadConfig({
        ...backupS3,
        DATA_REGION: 'eu-central',
        BACKUP_S3_ENDPOINT: 'https://s3.eu-central.example.net',
        BACKUP_S3_REGION: 'eu-central-1',
        BACKUP_S3_FORCE_PATH_STYLE: 'true',
        BACKUP_S3_PREFIX: 'Plauder/backups',
      });
      expect(config.backup.target).toMatchObject({
        endpoint: 'https://s3.eu-central.example.net',
        region: 'eu-central-1',
        forcePathStyle: true,
        prefix: 'Plauder/backups/',
      });
    });

    it.each([
      ['BACKUP_TIME', '3:00', 'a time of day HH:MM in UTC, such as 03:00, or off'],
      ['BACKUP_TIME', '24:00', 'a time of day HH:MM in UTC, such as 03:00, or off'],
      ['BACKUP_TIME', '03:60', 'a time of day HH:MM in UTC, such as 03:00, or off'],
      ['BACKUP_KEEP_DAILY', '-1', 'a count of days from 0 to 366'],
      ['BACKUP_KEEP_WEEKLY', '261', 'a count of weeks from 0 to 260'],
      ['BACKUP_KEEP_MONTHLY', 'six', 'a count of months from 0 to 120'],
      ['BACKUP_KEYRING_DAYS', '0', 'days from 1 to 90'],
      ['BACKUP_KEYRING_DAYS', '91', 'days from 1 to 90'],
    ])('refuses %s=%s, saying what it expects and what it got', (name, value, expected) => {
      const error = configErrorOf({ [name]: value });
      expect(error.problems).toEqual([`${name} is not ${expected} (got "${value}")`]);
    });

    it.each([
      ['BACKUP_S3_ENDPOINT', 's3.example.net', 'an http:// or https:// URL'],
      ['BACKUP_S3_REGION', 'EU-Central-1', 'a region name of lowercase letters, digits and dashes'],
      ['BACKUP_S3_BUCKET', 'Plauder_Backups', 'a bucket name of 3 to 63 lowercase letters, digits, dots and dashes'],
      ['BACKUP_S3_ACCESS_KEY_ID', 'AKIA IOSFODNN7', 'an access key id of printable characters without spaces'],
      ['BACKUP_S3_FORCE_PATH_STYLE', 'yes', 'true or false'],
      ['BACKUP_S3_PREFIX', '../other', 'a path of letters, digits'],
      ['BACKUP_S3_PREFIX', '/plauder/', 'a path of letters, digits'],
    ])('refuses %s=%s with a bucket, saying what it expects', (name, value, expected) => {
      const error = configErrorOf({ ...backupS3, [name]: value });
      expect(error.problems).toEqual([expect.stringContaining(`${name} is not ${expected}`)]);
      expect(error.problems[0]).toContain(`(got "${value}")`);
    });

    it('refuses a secret access key with a space without showing any of it', () => {
      const secret = 'bPxRfiCY EXAMPLEKEY';
      const error = configErrorOf({ ...backupS3, BACKUP_S3_SECRET_ACCESS_KEY: secret });
      expect(error.problems).toEqual([
        `BACKUP_S3_SECRET_ACCESS_KEY is not a secret access key of printable characters without spaces (got "*** (${secret.length} characters)")`,
      ]);
      expect(error.message).not.toContain('bPxRf');
    });

    it('refuses BACKUP_S3_BUCKET without the credentials, naming what is missing', () => {
      expect(configErrorOf({ BACKUP_S3_BUCKET: 'plauder-backups' }).problems).toEqual([
        'BACKUP_S3_ACCESS_KEY_ID and BACKUP_S3_SECRET_ACCESS_KEY are required when BACKUP_S3_BUCKET is set',
      ]);
      expect(configErrorOf({ ...backupS3, BACKUP_S3_ACCESS_KEY_ID: '' }).problems).toEqual([
        'BACKUP_S3_ACCESS_KEY_ID is required when BACKUP_S3_BUCKET is set',
      ]);
    });

    it('refuses BACKUP_S3 settings without BACKUP_S3_BUCKET rather than keep the backups locally unawares', () => {
      const { BACKUP_S3_ACCESS_KEY_ID, BACKUP_S3_SECRET_ACCESS_KEY } = backupS3;
      const error = configErrorOf({
        BACKUP_S3_REGION: 'eu-central-1',
        BACKUP_S3_ACCESS_KEY_ID,
        BACKUP_S3_SECRET_ACCESS_KEY,
      });
      expect(error.problems).toEqual([
        'BACKUP_S3_REGION, BACKUP_S3_ACCESS_KEY_ID, BACKUP_S3_SECRET_ACCESS_KEY are set but BACKUP_S3_BUCKET is not; set BACKUP_S3_BUCKET to keep backups in S3, or unset them to keep them in BACKUP_DIR',
      ]);
      expect(error.message).not.toContain(backupSecret);
      // The file store's S3 settings do not count for backups, nor the other way round.
      expect(configErrorOf({ ...s3, BACKUP_S3_PREFIX: 'x' }).problems).toEqual([
        expect.stringContaining('BACKUP_S3_PREFIX is set but BACKUP_S3_BUCKET is not'),
      ]);
      expect(configErrorOf({ ...backupS3, S3_REGION: 'eu-central-1' }).problems).toEqual([
        expect.stringContaining('S3_REGION is set but S3_BUCKET is not'),
      ]);
    });

    it('refuses BACKUP_DIR and BACKUP_S3_BUCKET together, since backups go to one place', () => {
      expect(configErrorOf({ ...backupS3, BACKUP_DIR: dir }).problems).toEqual([
        'BACKUP_DIR and BACKUP_S3_BUCKET are both set; backups go to one place: unset one of them',
      ]);
    });

    it('takes a bucket region that lies in DATA_REGION: the same name, or one that begins with it and "-"', () => {
      for (const [dataRegion, region] of [
        ['eu-central', 'eu-central-1'],
        ['eu-central-1', 'eu-central-1'],
        ['eu', 'eu-west-3'],
        ['garage', 'garage'],
      ] as const) {
        const config = loadConfig({ ...backupS3, DATA_REGION: dataRegion, BACKUP_S3_REGION: region });
        expect(config.backup.target, `${region} in ${dataRegion}`).toMatchObject({ kind: 's3', region });
      }
    });

    it('refuses a bucket region outside DATA_REGION at the start (P1), naming both', () => {
      expect(configErrorOf({ ...backupS3, DATA_REGION: 'eu-central', BACKUP_S3_REGION: 'us-east-1' }).problems).toEqual(
        [
          'BACKUP_S3_REGION is "us-east-1", outside DATA_REGION "eu-central"; backups hold personal data, which stays in the declared region: use a bucket whose region is "eu-central" or begins with "eu-central-", and set BACKUP_S3_REGION to it',
        ],
      );
      // A name that merely begins with the same letters is another region.
      expect(configErrorOf({ ...backupS3, DATA_REGION: 'eu', BACKUP_S3_REGION: 'europe-west1' }).problems).toEqual([
        expect.stringContaining('BACKUP_S3_REGION is "europe-west1", outside DATA_REGION "eu"'),
      ]);
    });

    it('refuses the default bucket region when DATA_REGION is declared elsewhere', () => {
      expect(configErrorOf({ ...backupS3, DATA_REGION: 'eu-central' }).problems).toEqual([
        expect.stringContaining(
          'BACKUP_S3_REGION is not set, so the backup bucket is taken to be in "us-east-1", outside DATA_REGION "eu-central"',
        ),
      ]);
    });

    it('does not check the region while DATA_REGION is not declared, nor again when the region was refused', () => {
      expect(loadConfig({ ...backupS3, BACKUP_S3_REGION: 'ap-south-1' }).backup.target).toMatchObject({
        region: 'ap-south-1',
      });
      const error = configErrorOf({ ...backupS3, DATA_REGION: 'eu-central', BACKUP_S3_REGION: 'EU' });
      expect(error.problems).toEqual([expect.stringContaining('BACKUP_S3_REGION is not a region name')]);
    });
  });

  describe('the providers of the optional functions', () => {
    const smtp = {
      SMTP_URL: 'smtps://user:mailpass@mail.example.com:465',
      SMTP_FROM: 'chat@example.com',
      SMTP_COUNTRY: 'DE',
    };
    const translation = {
      TRANSLATION_URL: 'https://api.deepl.example/v2/',
      TRANSLATION_API_KEY: 'deepl-key-1234',
      TRANSLATION_COUNTRY: 'DE',
    };

    it('has none set up by default', () => {
      expect(loadConfig({ DATA_DIR: dir })).toMatchObject({ email: undefined, translation: undefined });
    });

    it('reads a mail server and a translation service given whole', () => {
      expect(loadConfig({ DATA_DIR: dir, ...smtp, ...translation })).toMatchObject({
        email: { url: smtp.SMTP_URL, from: 'chat@example.com', country: 'DE' },
        translation: { url: 'https://api.deepl.example/v2', apiKey: 'deepl-key-1234', country: 'DE' },
      });
    });

    it('refuses a provider without its declared country or the rest of its settings, naming what is missing', () => {
      const error = configErrorOf({ DATA_DIR: dir, SMTP_URL: smtp.SMTP_URL, TRANSLATION_API_KEY: 'deepl-key-1234' });
      expect(error.problems).toEqual([
        'SMTP_FROM and SMTP_COUNTRY are required when SMTP_URL is set',
        'TRANSLATION_URL and TRANSLATION_COUNTRY are required when TRANSLATION_API_KEY is set',
      ]);
      expect(error.message).not.toContain('mailpass');
    });

    it('refuses bad values, without showing the secrets', () => {
      const error = configErrorOf({
        DATA_DIR: dir,
        ...smtp,
        SMTP_URL: 'http://user:mailpass@mail.example.com',
        SMTP_COUNTRY: 'Germany',
        ...translation,
        TRANSLATION_URL: 'ftp://api.deepl.example',
        TRANSLATION_API_KEY: 'a key with spaces',
      });
      expect(error.problems.map((p) => p.split(' ')[0])).toEqual([
        'SMTP_URL',
        'SMTP_COUNTRY',
        'TRANSLATION_URL',
        'TRANSLATION_API_KEY',
      ]);
      expect(error.message).not.toContain('mailpass');
      expect(error.message).not.toContain('with spaces');
    });

    it('refuses webhooks to private addresses unless allowed, and never allows them in production', () => {
      expect(loadConfig({ DATA_DIR: dir }).webhookPrivateAddresses).toBe('refuse');
      expect(loadConfig({ DATA_DIR: dir, WEBHOOK_PRIVATE_ADDRESSES: 'allow' }).webhookPrivateAddresses).toBe('allow');
      const error = configErrorOf({ DATA_DIR: dir, WEBHOOK_PRIVATE_ADDRESSES: 'allow', NODE_ENV: 'production' });
      expect(error.problems).toEqual([expect.stringContaining('WEBHOOK_PRIVATE_ADDRESSES=allow is refused')]);
      expect(configErrorOf({ DATA_DIR: dir, WEBHOOK_PRIVATE_ADDRESSES: 'yes' }).problems).toEqual([
        expect.stringContaining('WEBHOOK_PRIVATE_ADDRESSES'),
      ]);
    });
  });
});
