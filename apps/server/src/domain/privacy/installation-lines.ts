import { OptionalFunction, type AccountFunctionDto, type PrivacyReportLineDto } from '@plauder/protocol';
import { BACKUP_STALE_AFTER_MS } from '../../backup/backup-health.js';
import { declaredStores, type DeclaredStore } from '../../config/stores.js';
import type { Context } from '../../context.js';
import { backupStatus } from '../../storage/backup-status-repository.js';
import { compareWithDataMap, schemaColumns } from '../../storage/data-map-check.js';
import { dataMap, type ColumnClass } from '../../storage/data-map.js';
import { masterKeyCreatedAt } from '../../storage/master-key-record.js';
import { getMeta } from '../../storage/meta-repository.js';
import { FUNCTIONS } from '../functions/registry.js';
import { age, count, firstOf, hours, utcDay } from './report-words.js';

/**
 * The age past which the report asks for a master key rotation: a year. The master key wraps every
 * account key; a yearly rotation bounds how long a copy of it (an old key file, an old environment)
 * opens the keyring, and is the usual period of key-management guidance for wrapping keys.
 */
export const MASTER_KEY_ROTATE_AFTER_DAYS = 365;

const DAY_MS = 24 * 60 * 60 * 1000;

const STORE_TITLES: Readonly<Record<DeclaredStore['store'], string>> = {
  database: 'Database',
  bus: 'Bus between the nodes',
  files: 'File store',
  backups: 'Backup store',
};

/** The setting that declares a server's region, named when it is missing. */
const REGION_SETTINGS: Readonly<Record<DeclaredStore['store'], string>> = {
  database: 'DATABASE_REGION',
  bus: 'REDIS_REGION',
  files: 'S3_REGION',
  backups: 'BACKUP_S3_REGION',
};

/** One line per store the installation keeps or carries personal data in (P1): holds when it is in DATA_REGION. */
export function storeLines(ctx: Context): PrivacyReportLineDto[] {
  const { dataRegion } = ctx.config;
  return declaredStores(ctx.config).map((store) => {
    const where = `${store.kind}, ${store.location}`;
    const detail =
      store.region === undefined
        ? `${where}; its region is not declared: set ${REGION_SETTINGS[store.store]}`
        : store.inDataRegion
          ? `${where}; region ${store.region}, inside DATA_REGION ${dataRegion}`
          : `${where}; region ${store.region}, outside DATA_REGION ${dataRegion}`;
    return { id: `store.${store.store}`, title: STORE_TITLES[store.store], holds: store.inDataRegion, detail };
  });
}

/** DATA_REGION against the region the database recorded at its first start (a start with another is refused). */
export async function dataRegionLine(ctx: Context): Promise<PrivacyReportLineDto> {
  const configured = ctx.config.dataRegion;
  const recorded = await getMeta(ctx.database.db, 'data_region');
  const declared = configured === 'local' ? ' (none declared)' : '';
  return {
    id: 'data-region',
    title: 'Data region',
    holds: recorded === configured,
    detail:
      recorded === configured
        ? `DATA_REGION is ${configured}${declared}, as the database recorded at its first start`
        : `DATA_REGION is ${configured}, but the database recorded ${recorded ?? 'none'} at its first start`,
  };
}

/**
 * Which optional functions the installation is set up for and, when the report covers every account,
 * how many of them each runs for. Holds when every function that runs is in its account's plan and set
 * up (activeFunctions makes sure of it; the line shows it).
 */
export function functionsLine(input: {
  ctx: Context;
  functionsByAccount: readonly (readonly AccountFunctionDto[])[];
  wholeInstallation: boolean;
}): PrivacyReportLineDto {
  const accounts = input.functionsByAccount.length;
  const parts = OptionalFunction.options.map((fn) => {
    const declaration = FUNCTIONS[fn];
    if (!declaration.configured(input.ctx.config)) return `${declaration.title}: not set up`;
    const { country } = declaration.processor(input.ctx.config);
    const running = input.functionsByAccount.filter((all) => all.some((f) => f.function === fn && f.active)).length;
    const where = fn === 'webhooks' ? '' : ` (${country})`;
    return input.wholeInstallation
      ? `${declaration.title}: set up${where}, running for ${running} of ${count(accounts, 'account')}`
      : `${declaration.title}: set up${where}`;
  });
  const astray = input.functionsByAccount.flat().filter((f) => f.active && !(f.inPlan && f.configured));
  return {
    id: 'functions',
    title: 'Optional functions',
    holds: astray.length === 0,
    detail:
      astray.length === 0
        ? parts.join('; ')
        : `${firstOf(astray.map((f) => f.title))} run${astray.length === 1 ? 's' : ''} outside a plan or set-up; ${parts.join('; ')}`,
  };
}

/** The newest backup a restore proved (P8): holds when daily backups are on and it is younger than BACKUP_STALE_AFTER_MS. */
export async function backupLine(ctx: Context): Promise<PrivacyReportLineDto> {
  const status = await backupStatus(ctx.database.db);
  const time = ctx.config.backup.timeUtc;
  const newest = status.newestVerified;
  const ageMs = newest === undefined ? undefined : ctx.clock.now() - newest.createdAt;
  const newestText =
    ageMs === undefined ? 'no backup has been verified yet' : `the newest verified backup is ${age(ageMs)} old`;
  const failed = status.last !== undefined && !status.last.ok ? '; the last backup failed its verification' : '';
  const line = (holds: boolean, detail: string) => ({ id: 'backups', title: 'Newest verified backup', holds, detail });
  if (time === undefined) return line(false, `Daily backups are off (BACKUP_TIME=off); ${newestText}${failed}`);
  const daily = `daily at ${String(time.hour).padStart(2, '0')}:${String(time.minute).padStart(2, '0')} UTC`;
  if (ageMs === undefined) return line(false, `No backup has been verified yet; backups run ${daily}${failed}`);
  const limit = hours(BACKUP_STALE_AFTER_MS);
  return ageMs <= BACKUP_STALE_AFTER_MS
    ? line(true, `The newest verified backup is ${age(ageMs)} old (limit ${limit}); backups run ${daily}${failed}`)
    : line(
        false,
        `The newest verified backup is ${age(ageMs)} old, over the limit of ${limit}; backups run ${daily}${failed}`,
      );
}

/** The master key's age since it was made or last rotated: holds below MASTER_KEY_ROTATE_AFTER_DAYS. */
export async function masterKeyLine(ctx: Context): Promise<PrivacyReportLineDto> {
  const createdAt = await masterKeyCreatedAt(ctx.database.db);
  const line = (holds: boolean, detail: string) => ({ id: 'master-key', title: 'Master key age', holds, detail });
  if (createdAt === undefined) return line(false, "The master key's age is not recorded");
  const ageMs = ctx.clock.now() - createdAt;
  const made = `The master key ${ctx.keyring.masterKeyId} was made or last rotated ${age(ageMs)} ago (${utcDay(createdAt)})`;
  return ageMs < MASTER_KEY_ROTATE_AFTER_DAYS * DAY_MS
    ? line(true, `${made}; rotate it within ${MASTER_KEY_ROTATE_AFTER_DAYS} days`)
    : line(false, `${made}, past ${MASTER_KEY_ROTATE_AFTER_DAYS} days: rotate it (plauder keys rotate)`);
}

/**
 * The live database against the data map (storage/data-map.ts): holds when every column the database
 * has is classified, and every classified column exists.
 */
export async function dataMapLine(ctx: Context): Promise<PrivacyReportLineDto> {
  const columns = await schemaColumns(ctx.database);
  const { unclassified, missing } = compareWithDataMap(columns);
  const tables = new Set(columns.map((c) => c.slice(0, c.indexOf('.')))).size;
  // Safe: `Classes` maps every column of every table to a ColumnClass; the cast forgets only the column names.
  const personal = Object.values(dataMap).flatMap((t) => Object.values(t as Record<string, ColumnClass>));
  const personalColumns = personal.filter((c) => c.personal).length;
  const counts = `${count(tables, 'table')}, ${count(columns.length, 'column')}, ${count(personalColumns, 'personal-data column')} classified`;
  const problems = [
    ...(unclassified.length > 0 ? [`not in the data map: ${firstOf(unclassified)}`] : []),
    ...(missing.length > 0 ? [`in the data map but not in the database: ${firstOf(missing)}`] : []),
  ];
  return {
    id: 'data-map',
    title: 'Data map',
    holds: problems.length === 0,
    detail:
      problems.length === 0
        ? `The database and the data map agree: ${counts}`
        : `The database and the data map disagree (${problems.join('; ')}); the database has ${count(tables, 'table')}, the map ${count(personalColumns, 'personal-data column')}`,
  };
}
