import { readFileSync } from 'node:fs';
import { isIP } from 'node:net';
import path from 'node:path';
import { z } from 'zod';
import { isValidPrefix } from '../adapters/file-store/file-store.js';
import { isValidBackupName } from '../backup/targets.js';

/** The whole configuration of one plauder process, parsed once at start and frozen. */
export interface Config {
  readonly port: number;
  readonly host: string;
  readonly dataDir: string;
  /** Absent: the embedded SQLite database in `dataDir`. */
  readonly databaseUrl: string | undefined;
  /** The region the PostgreSQL server runs in, as its operator declares (`DATABASE_REGION`). */
  readonly databaseRegion: string | undefined;
  /** Absent: the in-process bus. */
  readonly redisUrl: string | undefined;
  /** The region the Redis server runs in, as its operator declares (`REDIS_REGION`). */
  readonly redisRegion: string | undefined;
  /** 32 bytes; absent only in embedded mode, where a key file in `dataDir` holds it. */
  readonly masterKey: Buffer | undefined;
  readonly publicUrl: string;
  readonly dataRegion: string;
  readonly logLevel: LogLevel;
  readonly tls: { readonly certFile: string; readonly keyFile: string } | undefined;
  /** Addresses or CIDR ranges of the proxies whose X-Forwarded-For is believed. */
  readonly trustProxy: readonly string[];
  readonly sessionTtlMinutes: number;
  readonly maxBodyBytes: number;
  /** How many unwrapped keys the keyring keeps in memory. */
  readonly keyCacheSize: number;
  /** The longest message body accepted, in characters. */
  readonly maxMessageChars: number;
  /** The largest socket frame accepted, in bytes; a larger one closes the socket with 1009. */
  readonly maxFrameBytes: number;
  /** How long an operator may be disconnected before their open conversations go back to the queue. */
  readonly operatorGraceSeconds: number;
  /** Visitor sessions one client address may start per minute (also its burst); 0 turns the limit off. */
  readonly visitorSessionsPerMinute: number;
  /** Socket upgrades (both endpoints) one client address may ask for per minute (also its burst); 0: no limit. */
  readonly socketUpgradesPerMinute: number;
  /** The largest attachment accepted, in bytes; its type is checked by content. */
  readonly maxAttachmentBytes: number;
  /** Embedded mode: SQLite, in-process bus, local files. */
  readonly embedded: boolean;
  /** The S3-compatible file store, used when `S3_BUCKET` is set; absent: files in `dataDir/files`. */
  readonly s3: S3Config | undefined;
  /** Days a terminated account stays (read-only, exportable, restorable) before it is purged. */
  readonly accountGraceDays: number;
  /** How often each node looks for due jobs, in milliseconds. */
  readonly jobsPollIntervalMs: number;
  /** Jobs one node runs at once. */
  readonly jobsConcurrency: number;
  /** Where backups are kept, when they are taken, and which are kept. */
  readonly backup: BackupConfig;
  /** The mail server of the optional function `email`; absent: it cannot be turned on. */
  readonly email: EmailConfig | undefined;
  /** The DeepL-compatible service of the optional function `translation`; absent: it cannot be turned on. */
  readonly translation: TranslationConfig | undefined;
  /**
   * Whether webhook endpoints may be at private, loopback or link-local addresses (`allow` only for
   * development and tests; refused at start with NODE_ENV=production). Default `refuse` (no SSRF).
   */
  readonly webhookPrivateAddresses: 'refuse' | 'allow';
}

/** The mail server the optional function `email` sends through (`SMTP_*`). */
export interface EmailConfig {
  readonly url: string;
  readonly from: string;
  /** Where the mail provider processes the mail, as its operator declares: an ISO 3166 code. */
  readonly country: string;
}

/** The DeepL-compatible translation service of the optional function `translation` (`TRANSLATION_*`). */
export interface TranslationConfig {
  readonly url: string;
  readonly apiKey: string;
  /** Where the service processes the text, as the operator declares: an ISO 3166 code. */
  readonly country: string;
}

/** Where backups are kept, when they are taken, and which are kept. */
export interface BackupConfig {
  /** A local directory (`BACKUP_DIR`, by default `dataDir/backups`), or a bucket when `BACKUP_S3_BUCKET` is set. */
  readonly target: BackupTargetConfig;
  /** The time of day of the daily backup, UTC; undefined when it is off (`BACKUP_TIME=off`). */
  readonly timeUtc: { readonly hour: number; readonly minute: number } | undefined;
  /** How many of the last days, ISO weeks and months keep their newest backup. */
  readonly keep: { readonly daily: number; readonly weekly: number; readonly monthly: number };
  /** Days a keyring artifact is kept (the newest is always kept); at least 1. */
  readonly keyringDays: number;
}

/** The one place backups go. */
export type BackupTargetConfig =
  { readonly kind: 'directory'; readonly directory: string } | ({ readonly kind: 's3' } & BackupS3Config);

/** Where and how backups reach their S3-compatible bucket; its region lies in the declared data region. */
export interface BackupS3Config {
  /** Absent: AWS S3 itself, in `region`. */
  readonly endpoint: string | undefined;
  readonly region: string;
  readonly bucket: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Bucket in the URL path instead of the host name, as most self-hosted services want. */
  readonly forcePathStyle: boolean;
  /** "" or a path ending in "/", put before every backup name so that installations can share one bucket. */
  readonly prefix: string;
}

/** Where and how the file store reaches its S3-compatible bucket. */
export interface S3Config {
  /** Absent: AWS S3 itself, in `region`. */
  readonly endpoint: string | undefined;
  readonly region: string;
  readonly bucket: string;
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
  /** Bucket in the URL path instead of the host name, as most self-hosted services want. */
  readonly forcePathStyle: boolean;
  /** "" or a path ending in "/", put before every key so that installations can share one bucket. */
  readonly keyPrefix: string;
}

/** The log levels pino knows. */
export type LogLevel = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace' | 'silent';

/** Raised when the environment or the config file holds a value the program cannot run with. */
export class ConfigError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigError';
  }
}

interface Variable<T> {
  /** What a valid value looks like, in words for the error message. */
  expected: string;
  secret?: boolean;
  parse: (raw: string) => T | undefined;
}

const positiveInt =
  (max: number): Variable<number>['parse'] =>
  (raw) => {
    if (!/^\d+$/.test(raw)) return undefined;
    const n = Number(raw);
    return n >= 1 && n <= max ? n : undefined;
  };

const nonNegativeInt =
  (max: number): Variable<number>['parse'] =>
  (raw) => {
    if (!/^\d+$/.test(raw)) return undefined;
    const n = Number(raw);
    return n <= max ? n : undefined;
  };

const urlWithProtocols =
  (protocols: string[]): Variable<string>['parse'] =>
  (raw) => {
    try {
      return protocols.includes(new URL(raw).protocol) ? raw : undefined;
    } catch {
      return undefined;
    }
  };

const logLevels: LogLevel[] = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

const regionName = (raw: string): string | undefined => (/^[a-z0-9][a-z0-9-]{0,62}$/.test(raw) ? raw : undefined);

// S3 access keys are printable ASCII: a pasted line break around one goes, a space inside is a mistake.
const countryCode = (raw: string): string | undefined => (/^[A-Z]{2}$/.test(raw) ? raw : undefined);
const printableToken = (raw: string): string | undefined =>
  /^[\x21-\x7e]{1,256}$/.test(raw.trim()) ? raw.trim() : undefined;

const bucketName = (raw: string): string | undefined =>
  /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(raw) ? raw : undefined;

const trueOrFalse = (raw: string): boolean | undefined => (raw === 'true' ? true : raw === 'false' ? false : undefined);

/** "HH:MM" on a 24-hour clock. */
const timeOfDay = (raw: string): { hour: number; minute: number } | 'off' | undefined => {
  if (raw.trim() === 'off') return 'off';
  const match = /^([01]\d|2[0-3]):([0-5]\d)$/.exec(raw.trim());
  return match ? { hour: Number(match[1]), minute: Number(match[2]) } : undefined;
};

const isProxyEntry = (entry: string): boolean => {
  const [address, bits, ...rest] = entry.split('/');
  if (rest.length > 0 || address === undefined) return false;
  const family = isIP(address);
  if (family === 0) return false;
  if (bits === undefined) return true;
  if (!/^\d+$/.test(bits)) return false;
  return Number(bits) <= (family === 4 ? 32 : 128);
};

const variables = {
  PORT: { expected: 'a port number from 1 to 65535', parse: positiveInt(65535) },
  HOST: { expected: 'a host name or address to listen on', parse: (raw) => (raw.trim() ? raw.trim() : undefined) },
  DATA_DIR: { expected: 'a directory path', parse: (raw) => (raw.trim() ? raw : undefined) },
  DATABASE_URL: {
    expected: 'a postgres:// URL',
    secret: true,
    parse: urlWithProtocols(['postgres:', 'postgresql:']),
  },
  REDIS_URL: { expected: 'a redis:// or rediss:// URL', secret: true, parse: urlWithProtocols(['redis:', 'rediss:']) },
  PLAUDER_MASTER_KEY: {
    expected: '32 bytes in base64 (make one with: openssl rand -base64 32)',
    secret: true,
    parse: (raw) => {
      if (!/^[A-Za-z0-9+/]{43}=$/.test(raw.trim())) return undefined;
      const key = Buffer.from(raw.trim(), 'base64');
      return key.length === 32 ? key : undefined;
    },
  },
  PUBLIC_URL: { expected: 'an http:// or https:// URL', parse: urlWithProtocols(['http:', 'https:']) },
  DATA_REGION: {
    expected: 'a region name of lowercase letters, digits and dashes, such as eu-central',
    parse: regionName,
  },
  LOG_LEVEL: {
    expected: `one of ${logLevels.join(', ')}`,
    parse: (raw) => logLevels.find((level) => level === raw),
  },
  TLS_CERT_FILE: { expected: 'a readable PEM certificate file', parse: readableFile },
  TLS_KEY_FILE: { expected: 'a readable PEM private key file', parse: readableFile },
  TRUST_PROXY: {
    expected: 'a comma-separated list of IP addresses or CIDR ranges, such as 10.0.0.1,192.168.0.0/16',
    parse: (raw) => {
      const entries = raw
        .split(',')
        .map((e) => e.trim())
        .filter(Boolean);
      return entries.every(isProxyEntry) ? entries : undefined;
    },
  },
  SESSION_TTL_MINUTES: { expected: 'minutes from 5 to 43200', parse: (raw) => atLeast(positiveInt(43200)(raw), 5) },
  MAX_BODY_BYTES: {
    expected: 'bytes from 1024 to 104857600',
    parse: (raw) => atLeast(positiveInt(104857600)(raw), 1024),
  },
  KEY_CACHE_SIZE: { expected: 'a count from 16 to 10000000', parse: (raw) => atLeast(positiveInt(10000000)(raw), 16) },
  MAX_MESSAGE_CHARS: { expected: 'characters from 1 to 20000', parse: positiveInt(20000) },
  MAX_FRAME_BYTES: { expected: 'bytes from 1024 to 1048576', parse: (raw) => atLeast(positiveInt(1048576)(raw), 1024) },
  OPERATOR_GRACE_SECONDS: { expected: 'seconds from 0 to 3600', parse: nonNegativeInt(3600) },
  VISITOR_SESSIONS_PER_MINUTE: { expected: 'a count from 0 (no limit) to 100000', parse: nonNegativeInt(100_000) },
  SOCKET_UPGRADES_PER_MINUTE: { expected: 'a count from 0 (no limit) to 100000', parse: nonNegativeInt(100_000) },
  MAX_ATTACHMENT_BYTES: {
    expected: 'bytes from 1024 to 104857600',
    parse: (raw) => atLeast(positiveInt(104857600)(raw), 1024),
  },
  S3_ENDPOINT: { expected: 'an http:// or https:// URL', parse: urlWithProtocols(['http:', 'https:']) },
  S3_REGION: {
    expected: 'a region name of lowercase letters, digits and dashes, such as eu-central-1',
    parse: regionName,
  },
  S3_BUCKET: {
    expected: 'a bucket name of 3 to 63 lowercase letters, digits, dots and dashes',
    parse: bucketName,
  },
  S3_ACCESS_KEY_ID: { expected: 'an access key id of printable characters without spaces', parse: printableToken },
  S3_SECRET_ACCESS_KEY: {
    expected: 'a secret access key of printable characters without spaces',
    secret: true,
    parse: printableToken,
  },
  S3_FORCE_PATH_STYLE: { expected: 'true or false', parse: trueOrFalse },
  S3_KEY_PREFIX: {
    expected: 'a path of lowercase letters, digits, ".", "_", "-" and "/", such as plauder/ or eu/chat/',
    // The prefix names a folder: "plauder" and "plauder/" both mean keys under "plauder/".
    parse: (raw) => {
      const prefix = raw.endsWith('/') ? raw : `${raw}/`;
      return isValidPrefix(prefix) ? prefix : undefined;
    },
  },
  ACCOUNT_GRACE_DAYS: { expected: 'days from 0 to 365', parse: nonNegativeInt(365) },
  JOBS_POLL_INTERVAL_MS: {
    expected: 'milliseconds from 100 to 600000',
    parse: (raw) => atLeast(positiveInt(600_000)(raw), 100),
  },
  JOBS_CONCURRENCY: { expected: 'a count from 1 to 16', parse: positiveInt(16) },
  BACKUP_DIR: { expected: 'a directory path', parse: (raw) => (raw.trim() ? raw : undefined) },
  BACKUP_S3_ENDPOINT: { expected: 'an http:// or https:// URL', parse: urlWithProtocols(['http:', 'https:']) },
  BACKUP_S3_REGION: {
    expected: 'a region name of lowercase letters, digits and dashes, such as eu-central-1',
    parse: regionName,
  },
  BACKUP_S3_BUCKET: {
    expected: 'a bucket name of 3 to 63 lowercase letters, digits, dots and dashes',
    parse: bucketName,
  },
  BACKUP_S3_ACCESS_KEY_ID: {
    expected: 'an access key id of printable characters without spaces',
    parse: printableToken,
  },
  BACKUP_S3_SECRET_ACCESS_KEY: {
    expected: 'a secret access key of printable characters without spaces',
    secret: true,
    parse: printableToken,
  },
  BACKUP_S3_FORCE_PATH_STYLE: { expected: 'true or false', parse: trueOrFalse },
  BACKUP_S3_PREFIX: {
    expected: 'a path of letters, digits, ".", "_", "-" and "/", such as plauder/ or eu/backups/',
    // Like S3_KEY_PREFIX, the prefix names a folder: "backups" and "backups/" both mean "backups/".
    parse: (raw) => {
      const prefix = raw.endsWith('/') ? raw.slice(0, -1) : raw;
      return isValidBackupName(prefix) ? `${prefix}/` : undefined;
    },
  },
  BACKUP_TIME: { expected: 'a time of day HH:MM in UTC, such as 03:00, or off', parse: timeOfDay },
  BACKUP_KEEP_DAILY: { expected: 'a count of days from 0 to 366', parse: nonNegativeInt(366) },
  BACKUP_KEEP_WEEKLY: { expected: 'a count of weeks from 0 to 260', parse: nonNegativeInt(260) },
  BACKUP_KEEP_MONTHLY: { expected: 'a count of months from 0 to 120', parse: nonNegativeInt(120) },
  BACKUP_KEYRING_DAYS: { expected: 'days from 1 to 90', parse: positiveInt(90) },
  SMTP_URL: { expected: 'an smtp:// or smtps:// URL', secret: true, parse: urlWithProtocols(['smtp:', 'smtps:']) },
  SMTP_FROM: {
    expected: 'an email address such as chat@example.com',
    parse: (raw) => (/^[^\s@<>]+@[^\s@<>]+\.[^\s@<>]+$/.test(raw) ? raw : undefined),
  },
  SMTP_COUNTRY: { expected: 'a two-letter country code such as DE', parse: countryCode },
  TRANSLATION_URL: { expected: 'an http:// or https:// URL', parse: urlWithProtocols(['http:', 'https:']) },
  TRANSLATION_API_KEY: {
    expected: 'an API key of printable characters without spaces',
    secret: true,
    parse: printableToken,
  },
  TRANSLATION_COUNTRY: { expected: 'a two-letter country code such as DE', parse: countryCode },
  DATABASE_REGION: {
    expected: 'a region name of lowercase letters, digits and dashes, such as eu-central-1',
    parse: regionName,
  },
  REDIS_REGION: {
    expected: 'a region name of lowercase letters, digits and dashes, such as eu-central-1',
    parse: regionName,
  },
  WEBHOOK_PRIVATE_ADDRESSES: {
    expected: 'refuse or allow',
    parse: (raw): 'refuse' | 'allow' | undefined => (raw === 'refuse' || raw === 'allow' ? raw : undefined),
  },
  NODE_ENV: { expected: 'any word, such as production', parse: (raw) => (raw.trim() ? raw.trim() : undefined) },
} satisfies Record<string, Variable<unknown>>;

type Name = keyof typeof variables;
type Parsed = { [K in Name]?: NonNullable<ReturnType<(typeof variables)[K]['parse']>> };

function atLeast(n: number | undefined, min: number): number | undefined {
  return n !== undefined && n >= min ? n : undefined;
}

function readableFile(raw: string): string | undefined {
  try {
    readFileSync(raw);
    return raw;
  } catch {
    return undefined;
  }
}

/** Shows a value in an error message without revealing secrets: URL passwords and keys are masked. */
export function maskValue(name: string, raw: string): string {
  const variable = (variables as Record<string, Variable<unknown>>)[name];
  const shortened = raw.length > 60 ? `${raw.slice(0, 57)}…` : raw;
  if (!variable?.secret) return shortened;
  if (name === 'PLAUDER_MASTER_KEY' || name.endsWith('S3_SECRET_ACCESS_KEY')) return `*** (${raw.length} characters)`;
  // Only a URL with a host shows its parts; anything else (such as "user:password@host" without a
  // scheme, which parses as a URL whose path holds the password) shows nothing but its length.
  let url: URL | undefined;
  try {
    url = new URL(raw);
  } catch {
    url = undefined;
  }
  if (!url?.host) return `*** (${raw.length} characters, hidden)`;
  if (url.password) url.password = '***';
  // Query strings carry credentials too (?password=…, ?auth=…), so none of one is shown.
  if (url.search) url.search = '***';
  url.hash = '';
  return url.toString().length > 60 ? `${url.protocol}//…` : url.toString();
}

const ConfigFile = z.record(z.string(), z.union([z.string(), z.number(), z.boolean()]));

function readConfigFile(file: string): Record<string, string> {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch (cause) {
    throw new ConfigError([`PLAUDER_CONFIG: cannot read "${file}" (${(cause as Error).message})`]);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (cause) {
    throw new ConfigError([`PLAUDER_CONFIG: "${file}" is not valid JSON (${(cause as Error).message})`]);
  }
  const parsed = ConfigFile.safeParse(json);
  if (!parsed.success) {
    throw new ConfigError([`PLAUDER_CONFIG: "${file}" must be one JSON object of NAME: value pairs`]);
  }
  const unknownNames = Object.keys(parsed.data).filter((name) => !(name in variables));
  if (unknownNames.length > 0) {
    throw new ConfigError(unknownNames.map((name) => `PLAUDER_CONFIG: "${file}" sets unknown variable ${name}`));
  }
  return Object.fromEntries(Object.entries(parsed.data).map(([k, v]) => [k, String(v)]));
}

/**
 * Reads the configuration from the environment and, if `PLAUDER_CONFIG` names one, a JSON file of the
 * same variable names; the environment wins. Throws a ConfigError listing every bad value.
 */
export function loadConfig(env: Readonly<Record<string, string | undefined>> = process.env): Config {
  const fromFile = env.PLAUDER_CONFIG ? readConfigFile(env.PLAUDER_CONFIG) : {};
  const problems: string[] = [];
  const parsed: Parsed = {};
  for (const name of Object.keys(variables) as Name[]) {
    // An empty variable counts as unset, so it does not hide the config file's value.
    const raw = env[name] || fromFile[name];
    if (raw === undefined || raw === '') continue;
    const variable: Variable<unknown> = variables[name];
    const value = variable.parse(raw);
    if (value === undefined) {
      problems.push(`${name} is not ${variable.expected} (got "${maskValue(name, raw)}")`);
    } else {
      (parsed as Record<string, unknown>)[name] = value;
    }
  }
  const embedded = parsed.DATABASE_URL === undefined;
  if (
    !embedded &&
    parsed.PLAUDER_MASTER_KEY === undefined &&
    !problems.some((p) => p.startsWith('PLAUDER_MASTER_KEY'))
  ) {
    problems.push(
      'PLAUDER_MASTER_KEY is required when DATABASE_URL is set (a key file is only for the embedded SQLite mode); make one with: openssl rand -base64 32',
    );
  }
  if (
    (parsed.TLS_CERT_FILE === undefined) !== (parsed.TLS_KEY_FILE === undefined) &&
    !problems.some((p) => p.startsWith('TLS_'))
  ) {
    problems.push('TLS_CERT_FILE and TLS_KEY_FILE must be set together (or neither, behind a TLS-terminating proxy)');
  }
  problems.push(...s3Problems(parsed, problems));
  problems.push(...backupProblems(parsed, problems));
  problems.push(...togetherProblems(parsed, problems, ['SMTP_URL', 'SMTP_FROM', 'SMTP_COUNTRY']));
  problems.push(
    ...togetherProblems(parsed, problems, ['TRANSLATION_URL', 'TRANSLATION_API_KEY', 'TRANSLATION_COUNTRY']),
  );
  problems.push(...serverRegionProblems(parsed, problems));
  if (parsed.WEBHOOK_PRIVATE_ADDRESSES === 'allow' && parsed.NODE_ENV === 'production') {
    problems.push(
      "WEBHOOK_PRIVATE_ADDRESSES=allow is refused with NODE_ENV=production: webhooks to private, loopback and link-local addresses would let an account reach the installation's own network (SSRF)",
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);

  const port = parsed.PORT ?? 3000;
  const host = parsed.HOST ?? '127.0.0.1';
  const tls =
    parsed.TLS_CERT_FILE && parsed.TLS_KEY_FILE
      ? Object.freeze({ certFile: parsed.TLS_CERT_FILE, keyFile: parsed.TLS_KEY_FILE })
      : undefined;
  const browserHost = host === '0.0.0.0' || host === '::' ? 'localhost' : host;
  const dataDir = path.resolve(parsed.DATA_DIR ?? './data');
  return Object.freeze({
    port,
    host,
    dataDir,
    databaseUrl: parsed.DATABASE_URL,
    databaseRegion: parsed.DATABASE_REGION,
    redisUrl: parsed.REDIS_URL,
    redisRegion: parsed.REDIS_REGION,
    masterKey: parsed.PLAUDER_MASTER_KEY,
    publicUrl: (parsed.PUBLIC_URL ?? `${tls ? 'https' : 'http'}://${browserHost}:${port}`).replace(/\/$/, ''),
    dataRegion: parsed.DATA_REGION ?? 'local',
    logLevel: parsed.LOG_LEVEL ?? 'info',
    tls,
    trustProxy: Object.freeze(parsed.TRUST_PROXY ?? []),
    sessionTtlMinutes: parsed.SESSION_TTL_MINUTES ?? 720,
    maxBodyBytes: parsed.MAX_BODY_BYTES ?? 1024 * 1024,
    keyCacheSize: parsed.KEY_CACHE_SIZE ?? 10_000,
    maxMessageChars: parsed.MAX_MESSAGE_CHARS ?? 5000,
    maxFrameBytes: parsed.MAX_FRAME_BYTES ?? 65_536,
    operatorGraceSeconds: parsed.OPERATOR_GRACE_SECONDS ?? 60,
    visitorSessionsPerMinute: parsed.VISITOR_SESSIONS_PER_MINUTE ?? 60,
    socketUpgradesPerMinute: parsed.SOCKET_UPGRADES_PER_MINUTE ?? 120,
    maxAttachmentBytes: parsed.MAX_ATTACHMENT_BYTES ?? 10 * 1024 * 1024,
    embedded,
    s3:
      parsed.S3_BUCKET && parsed.S3_ACCESS_KEY_ID && parsed.S3_SECRET_ACCESS_KEY
        ? Object.freeze({
            endpoint: parsed.S3_ENDPOINT,
            region: parsed.S3_REGION ?? 'us-east-1',
            bucket: parsed.S3_BUCKET,
            accessKeyId: parsed.S3_ACCESS_KEY_ID,
            secretAccessKey: parsed.S3_SECRET_ACCESS_KEY,
            forcePathStyle: parsed.S3_FORCE_PATH_STYLE ?? false,
            keyPrefix: parsed.S3_KEY_PREFIX ?? '',
          })
        : undefined,
    accountGraceDays: parsed.ACCOUNT_GRACE_DAYS ?? 30,
    jobsPollIntervalMs: parsed.JOBS_POLL_INTERVAL_MS ?? 1000,
    jobsConcurrency: parsed.JOBS_CONCURRENCY ?? 2,
    backup: Object.freeze({
      target: backupTarget(parsed, dataDir),
      timeUtc: parsed.BACKUP_TIME === 'off' ? undefined : Object.freeze(parsed.BACKUP_TIME ?? { hour: 3, minute: 0 }),
      keep: Object.freeze({
        daily: parsed.BACKUP_KEEP_DAILY ?? 7,
        weekly: parsed.BACKUP_KEEP_WEEKLY ?? 4,
        monthly: parsed.BACKUP_KEEP_MONTHLY ?? 6,
      }),
      keyringDays: parsed.BACKUP_KEYRING_DAYS ?? 7,
    }),
    email:
      parsed.SMTP_URL && parsed.SMTP_FROM && parsed.SMTP_COUNTRY
        ? Object.freeze({ url: parsed.SMTP_URL, from: parsed.SMTP_FROM, country: parsed.SMTP_COUNTRY })
        : undefined,
    translation:
      parsed.TRANSLATION_URL && parsed.TRANSLATION_API_KEY && parsed.TRANSLATION_COUNTRY
        ? Object.freeze({
            url: parsed.TRANSLATION_URL.replace(/\/$/, ''),
            apiKey: parsed.TRANSLATION_API_KEY,
            country: parsed.TRANSLATION_COUNTRY,
          })
        : undefined,
    webhookPrivateAddresses: parsed.WEBHOOK_PRIVATE_ADDRESSES ?? 'refuse',
  });
}

/** The region a bucket is taken to be in when its *_REGION is not set, as the AWS SDK's own default. */
const DEFAULT_S3_REGION = 'us-east-1';

/** Where backups go; backupProblems has made sure the settings are whole and in the declared region. */
function backupTarget(parsed: Parsed, dataDir: string): BackupTargetConfig {
  const bucket = parsed.BACKUP_S3_BUCKET;
  const accessKeyId = parsed.BACKUP_S3_ACCESS_KEY_ID;
  const secretAccessKey = parsed.BACKUP_S3_SECRET_ACCESS_KEY;
  if (bucket === undefined || accessKeyId === undefined || secretAccessKey === undefined) {
    return Object.freeze({
      kind: 'directory',
      directory: path.resolve(parsed.BACKUP_DIR ?? path.join(dataDir, 'backups')),
    });
  }
  return Object.freeze({
    kind: 's3',
    endpoint: parsed.BACKUP_S3_ENDPOINT,
    region: parsed.BACKUP_S3_REGION ?? DEFAULT_S3_REGION,
    bucket,
    accessKeyId,
    secretAccessKey,
    forcePathStyle: parsed.BACKUP_S3_FORCE_PATH_STYLE ?? false,
    prefix: parsed.BACKUP_S3_PREFIX ?? '',
  });
}

/**
 * Whether a bucket's `region` lies in the declared `dataRegion`: the same name, or the declared name
 * followed by "-" and more, as eu-central-1 lies in eu-central (and in eu). Names are compared, not
 * places: the declared region is the operator's word for where the stores are.
 */
export function regionLiesIn(region: string, dataRegion: string): boolean {
  return region === dataRegion || region.startsWith(`${dataRegion}-`);
}

/**
 * Backups go to S3 when BACKUP_S3_BUCKET is set, which then needs its credentials, and otherwise to
 * BACKUP_DIR; settings of the other target are refused rather than ignored, so that no backup lands
 * where the operator does not expect it. Backups hold personal data (promise P1): with DATA_REGION
 * declared, the bucket's region must lie in it.
 */
function backupProblems(parsed: Parsed, problems: readonly string[]): string[] {
  // A variable that was given but refused already has its problem; it counts as given here.
  const given = (name: Name) => parsed[name] !== undefined || problems.some((p) => p.startsWith(`${name} is not `));
  // Safe: the keys of `variables` are exactly its Names.
  const s3Names = (Object.keys(variables) as Name[]).filter((name) => name.startsWith('BACKUP_S3_'));
  if (!given('BACKUP_S3_BUCKET')) {
    const stray = s3Names.filter(given);
    return stray.length === 0
      ? []
      : [
          `${stray.join(', ')} ${stray.length === 1 ? 'is' : 'are'} set but BACKUP_S3_BUCKET is not; set BACKUP_S3_BUCKET to keep backups in S3, or unset ${stray.length === 1 ? 'it' : 'them'} to keep them in BACKUP_DIR`,
        ];
  }
  const found: string[] = [];
  if (given('BACKUP_DIR')) {
    found.push('BACKUP_DIR and BACKUP_S3_BUCKET are both set; backups go to one place: unset one of them');
  }
  const missing = (['BACKUP_S3_ACCESS_KEY_ID', 'BACKUP_S3_SECRET_ACCESS_KEY'] as const).filter((name) => !given(name));
  if (missing.length > 0) {
    found.push(`${missing.join(' and ')} ${missing.length === 1 ? 'is' : 'are'} required when BACKUP_S3_BUCKET is set`);
  }
  found.push(...bucketRegionProblems(parsed, given, { name: 'BACKUP_S3_REGION', bucket: 'backup', holds: 'backups' }));
  return found;
}

/**
 * S3 is used when S3_BUCKET is set, and then needs its credentials. S3 settings without a bucket are
 * refused rather than ignored: files would land in DATA_DIR while the operator believes them in S3.
 */
function s3Problems(parsed: Parsed, problems: readonly string[]): string[] {
  // A variable that was given but refused already has its problem; it counts as given here.
  const given = (name: Name) => parsed[name] !== undefined || problems.some((p) => p.startsWith(`${name} is not `));
  if (given('S3_BUCKET')) {
    const missing = (['S3_ACCESS_KEY_ID', 'S3_SECRET_ACCESS_KEY'] as const).filter((name) => !given(name));
    return [
      ...(missing.length === 0
        ? []
        : [`${missing.join(' and ')} ${missing.length === 1 ? 'is' : 'are'} required when S3_BUCKET is set`]),
      ...bucketRegionProblems(parsed, given, { name: 'S3_REGION', bucket: 'file', holds: 'attachments' }),
    ];
  }
  // Safe: the keys of `variables` are exactly its Names.
  const stray = (Object.keys(variables) as Name[]).filter((name) => name.startsWith('S3_') && given(name));
  return stray.length === 0
    ? []
    : [
        `${stray.join(', ')} ${stray.length === 1 ? 'is' : 'are'} set but S3_BUCKET is not; set S3_BUCKET to keep files in S3, or unset ${stray.length === 1 ? 'it' : 'them'} to keep them in DATA_DIR/files`,
      ];
}

/**
 * With DATA_REGION declared, a bucket's region (its *_REGION, else the SDK's default) must lie in it:
 * files and backups hold personal data (promise P1). A region refused already is not judged again.
 */
function bucketRegionProblems(
  parsed: Parsed,
  given: (name: Name) => boolean,
  bucket: { name: 'S3_REGION' | 'BACKUP_S3_REGION'; bucket: 'file' | 'backup'; holds: string },
): string[] {
  const dataRegion = parsed.DATA_REGION;
  const region = parsed[bucket.name] ?? DEFAULT_S3_REGION;
  const refused = given(bucket.name) && parsed[bucket.name] === undefined;
  if (dataRegion === undefined || refused || regionLiesIn(region, dataRegion)) return [];
  const regionSetting =
    parsed[bucket.name] === undefined
      ? `${bucket.name} is not set, so the ${bucket.bucket} bucket is taken to be in "${region}"`
      : `${bucket.name} is "${region}"`;
  return [
    `${regionSetting}, outside DATA_REGION "${dataRegion}"; ${bucket.holds} hold personal data, which stays in the declared region: use a bucket whose region is "${dataRegion}" or begins with "${dataRegion}-", and set ${bucket.name} to it`,
  ];
}

/**
 * With DATA_REGION declared, the PostgreSQL and Redis servers in use declare their regions too
 * (DATABASE_REGION, REDIS_REGION), and those lie in it: the database holds the personal data and Redis
 * carries it between nodes (sealed, but still personal data in transit; promise P1). A server's region
 * cannot be read from its URL, so it is declared rather than guessed.
 */
function serverRegionProblems(parsed: Parsed, problems: readonly string[]): string[] {
  const dataRegion = parsed.DATA_REGION;
  if (dataRegion === undefined) return [];
  const servers = [
    { url: 'DATABASE_URL', name: 'DATABASE_REGION', what: 'the PostgreSQL server, which holds the personal data' },
    { url: 'REDIS_URL', name: 'REDIS_REGION', what: 'the Redis server, which carries personal data between the nodes' },
  ] as const;
  const found: string[] = [];
  for (const server of servers) {
    if (problems.some((p) => p.startsWith(`${server.name} is not `))) continue;
    const region = parsed[server.name];
    if (parsed[server.url] !== undefined && region === undefined) {
      found.push(
        `${server.name} is required when DATA_REGION and ${server.url} are set: declare the region of ${server.what} ("${dataRegion}" or a region beginning with "${dataRegion}-")`,
      );
    } else if (region !== undefined && !regionLiesIn(region, dataRegion)) {
      found.push(
        `${server.name} is "${region}", outside DATA_REGION "${dataRegion}": ${server.what}, must run in the declared region, "${dataRegion}" or a region beginning with "${dataRegion}-"`,
      );
    }
  }
  return found;
}

/** The names of every variable the configuration reads, for docs and the config table. */
export const configVariableNames: readonly string[] = ['PLAUDER_CONFIG', ...Object.keys(variables)];

/**
 * The settings of one optional function's provider are given all together or not at all: a provider
 * without its declared country is not one the privacy report could name.
 */
function togetherProblems(parsed: Parsed, problems: readonly string[], names: readonly Name[]): string[] {
  const given = names.filter(
    (name) => parsed[name] !== undefined || problems.some((p) => p.startsWith(`${name} is not `)),
  );
  if (given.length === 0 || given.length === names.length) return [];
  const missing = names.filter((name) => !given.includes(name));
  return [
    `${missing.join(' and ')} ${missing.length === 1 ? 'is' : 'are'} required when ${given.join(' and ')} ${given.length === 1 ? 'is' : 'are'} set`,
  ];
}
