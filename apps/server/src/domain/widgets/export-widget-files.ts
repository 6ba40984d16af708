import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Context } from '../../context.js';
import { listServedWidgetKeys } from '../../storage/widgets-repository.js';
import { getWidgetConfig, widgetConfigBody } from './widget-config.js';

/** Where config files go, under the export's directory: the path the installation serves them at. */
export const CONFIG_DIR = 'widget/v1/config';

/**
 * Writes the widget's CDN-ready files under `dir`, at the paths the installation serves them, so any
 * static host or CDN can serve the directory as it is: `widget/v1/config/KEY.json` for every widget
 * of an active account, byte for byte as served. Each file is written under a temporary name and
 * renamed, so a host never serves half of one. Config files of widgets that no longer serve (deleted,
 * or their account terminated) are removed, so an export over the last one stops them too.
 */
export async function exportWidgetFiles(ctx: Context, dir: string): Promise<{ configs: number; removed: number }> {
  const configDir = path.join(dir, CONFIG_DIR);
  await mkdir(configDir, { recursive: true });
  const written = new Set<string>();
  for (const publicKey of await listServedWidgetKeys(ctx.database.db)) {
    const config = await getWidgetConfig(ctx, publicKey);
    // Terminated or deleted since the list was read: left out, and removed below like the others.
    if (!config) continue;
    const name = `${publicKey}.json`;
    const temporary = path.join(configDir, `.${name}.tmp`);
    await writeFile(temporary, widgetConfigBody(config), { mode: 0o644 });
    await rename(temporary, path.join(configDir, name));
    written.add(name);
  }
  let removed = 0;
  for (const name of await readdir(configDir)) {
    if (!/^pk_[A-Za-z0-9_-]+\.json$/.test(name) || written.has(name)) continue;
    await rm(path.join(configDir, name));
    removed += 1;
  }
  return { configs: written.size, removed };
}
