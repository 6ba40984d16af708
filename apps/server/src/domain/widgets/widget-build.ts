import { readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

/** The built widget (apps/widget/dist): the loader, and the window's content-named script and style. */
export interface WidgetBuild {
  loader: Buffer;
  /**
   * Files under `assets/`, by name (`window.<hash>.js`): this release's and the one's before. Each
   * name changes with its content.
   */
  assets: ReadonlyMap<string, Buffer>;
  /** The window's script and style, as paths under `assets/`. */
  window: { script: string; style: string };
}

/** A content-named bundle of the window. */
const ASSET_NAME = /^window\.[A-Za-z0-9_-]+\.(js|css)$/;

/** The widget package's build directory, found through the workspace's module resolution. */
export function defaultWidgetDist(): string {
  const packageJson = createRequire(import.meta.url).resolve('@plauder/widget/package.json');
  return path.join(path.dirname(packageJson), 'dist');
}

/**
 * Reads the widget build from `dir`. Throws a message saying what to run when it was never built
 * (`npm install` and `npm run build` build it).
 */
export function readWidgetBuild(dir: string = defaultWidgetDist()): WidgetBuild {
  let manifestText: string;
  try {
    manifestText = readFileSync(path.join(dir, 'manifest.json'), 'utf8');
  } catch (error) {
    throw new Error(`The widget is not built (no ${dir}/manifest.json); run "npm run build"`, { cause: error });
  }
  // Written by apps/widget/build.js next to the files it names.
  const manifest = JSON.parse(manifestText) as { loader: string; window: { script: string; style: string } };
  const asset = (file: string) => {
    if (!file.startsWith('assets/') || !ASSET_NAME.test(file.slice('assets/'.length)))
      throw new Error(`Unexpected widget asset ${file}`);
    return file.slice('assets/'.length);
  };
  const script = asset(manifest.window.script);
  const style = asset(manifest.window.style);
  // Every bundle there, the release before's too: a page cached before an upgrade still finds its own.
  const names = readdirSync(path.join(dir, 'assets')).filter((name) => ASSET_NAME.test(name));
  return {
    loader: readFileSync(path.join(dir, manifest.loader)),
    assets: new Map(names.map((name) => [name, readFileSync(path.join(dir, 'assets', name))])),
    window: { script, style },
  };
}
