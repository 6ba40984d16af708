import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestContext, testDialect, type TestContext } from '../../test-support/test-context.js';
import { createAccount } from '../accounts/create-account.js';
import { CONFIG_DIR, exportWidgetFiles, WIDGET_DIR } from './export-widget-files.js';
import { readWidgetBuild } from './widget-build.js';
import { getWidgetConfig, widgetConfigBody } from './widget-config.js';

describe(`the widget files' export (${testDialect})`, () => {
  let t: TestContext;
  let dir: string;
  beforeEach(async () => {
    t = await createTestContext();
    dir = mkdtempSync(path.join(tmpdir(), 'plauder-cdn-'));
  });
  afterEach(async () => {
    await t.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  const account = async (name: string) =>
    createAccount(t.ctx, {
      name,
      plan: 'standard',
      owner: { email: `owner@${name}.test`, displayName: 'Owner', password: 'correct horse battery' },
      actor: { kind: 'cli', id: null },
    });

  it('writes every served config at the path it is served at, as served, and nothing else', async () => {
    const acme = await account('acme');
    const globex = await account('globex');
    await t.ctx.database.db
      .updateTable('widgets')
      .set({ settings: JSON.stringify({ color: '#123456', language: 'de' }) })
      .where('public_key', '=', globex.widget.publicKey)
      .execute();

    expect(await exportWidgetFiles(t.ctx, dir)).toEqual({
      configs: 2,
      removed: 0,
      assets: readWidgetBuild().assets.size,
    });
    const keys = [acme.widget.publicKey, globex.widget.publicKey];
    expect(readdirSync(path.join(dir, CONFIG_DIR)).sort()).toEqual(keys.map((key) => `${key}.json`).sort());
    for (const key of keys) {
      const config = await getWidgetConfig(t.ctx, key);
      if (!config) throw new Error(`${key} does not serve`);
      expect(readFileSync(path.join(dir, CONFIG_DIR, `${key}.json`), 'utf8')).toBe(widgetConfigBody(config));
    }
    expect(
      JSON.parse(readFileSync(path.join(dir, CONFIG_DIR, `${globex.widget.publicKey}.json`), 'utf8')),
    ).toMatchObject({ color: '#123456', language: 'de' });
  });

  it('writes the loader and the bundles as served, and keeps the bundles of an earlier release', async () => {
    await account('acme');
    const build = readWidgetBuild();
    const older = path.join(dir, WIDGET_DIR, 'assets', 'window.earlierrelease.js');
    mkdirSync(path.dirname(older), { recursive: true });
    writeFileSync(older, 'an earlier release');
    await exportWidgetFiles(t.ctx, dir);
    expect(readFileSync(path.join(dir, WIDGET_DIR, 'loader.js')).equals(build.loader)).toBe(true);
    for (const [name, body] of build.assets)
      expect(readFileSync(path.join(dir, WIDGET_DIR, 'assets', name)).equals(body)).toBe(true);
    expect(readdirSync(path.join(dir, WIDGET_DIR, 'assets')).sort()).toEqual(
      [...build.assets.keys(), 'window.earlierrelease.js'].sort(),
    );
  });

  it("removes the config of a terminated account's widget on the next export, and leaves other files alone", async () => {
    const acme = await account('acme');
    const gone = await account('gone');
    await exportWidgetFiles(t.ctx, dir);
    writeFileSync(path.join(dir, CONFIG_DIR, 'README.txt'), 'not ours to remove');
    await t.ctx.database.db
      .updateTable('accounts')
      .set({ status: 'terminated' })
      .where('id', '=', gone.accountId)
      .execute();

    expect(await exportWidgetFiles(t.ctx, dir)).toEqual({
      configs: 1,
      removed: 1,
      assets: readWidgetBuild().assets.size,
    });
    expect(readdirSync(path.join(dir, CONFIG_DIR)).sort()).toEqual(
      [`${acme.widget.publicKey}.json`, 'README.txt'].sort(),
    );
  });
});
