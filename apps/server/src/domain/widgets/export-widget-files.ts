import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Context } from '../../context.js';
import { listServedWidgetKeys } from '../../storage/widgets-repository.js';
import { readWidgetBuild, type WidgetBuild } from './widget-build.js';
import { getWidgetConfig, widgetConfigBody } from './widget-config.js';

/** Where the widget's files go, under the export's directory: the path the installation serves them at. */
export const WIDGET_DIR = 'widget/v1';
/** Where config files go, under the export's directory. */
export const CONFIG_DIR = `${WIDGET_DIR}/config`;

/** Writes a file under a temporary name and renames it: a host never serves half of one. */
async function writeWhole(file: string, body: string | Buffer): Promise<void> {
  const temporary = path.join(path.dirname(file), `.${path.basename(file)}.tmp`);
  await writeFile(temporary, body, { mode: 0o644 });
  await rename(temporary, file);
}

/**
 * Writes the widget's CDN-ready files under `dir`, at the paths the installation serves them, byte
 * for byte as served, so any static host or CDN can serve the directory as it is: `widget/v1/loader.js`,
 * the window's content-named bundles under `widget/v1/assets/`, and `widget/v1/config/KEY.json` for
 * every widget of an active account. Config files of widgets that no longer serve (deleted, or their
 * account terminated) are removed, so an export over the last one stops them too; bundles of earlier
 * releases stay, for pages that still name them.
 */
export async function exportWidgetFiles(
  ctx: Context,
  dir: string,
  options: { widgetBuild?: WidgetBuild } = {},
): Promise<{ configs: number; removed: number; assets: number }> {
  const build = options.widgetBuild ?? readWidgetBuild();
  const configDir = path.join(dir, CONFIG_DIR);
  const assetDir = path.join(dir, WIDGET_DIR, 'assets');
  await mkdir(configDir, { recursive: true });
  await mkdir(assetDir, { recursive: true });
  for (const [name, body] of build.assets) await writeWhole(path.join(assetDir, name), body);
  // The loader last: once it is there, everything it leads to is too.
  await writeWhole(path.join(dir, WIDGET_DIR, 'loader.js'), build.loader);
  const written = new Set<string>();
  for (const publicKey of await listServedWidgetKeys(ctx.database.db)) {
    const config = await getWidgetConfig(ctx, publicKey);
    // Terminated or deleted since the list was read: left out, and removed below like the others.
    if (!config) continue;
    const name = `${publicKey}.json`;
    await writeWhole(path.join(configDir, name), widgetConfigBody(config));
    written.add(name);
  }
  let removed = 0;
  for (const name of await readdir(configDir)) {
    if (!/^pk_[A-Za-z0-9_-]+\.json$/.test(name) || written.has(name)) continue;
    await rm(path.join(configDir, name));
    removed += 1;
  }
  return { configs: written.size, removed, assets: build.assets.size };
}
