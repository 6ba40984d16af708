// Builds the widget into dist/: loader.js at a stable name (served with a short cache), and the chat
// window's script and style named by their content (served as immutable), listed in manifest.json.
// Only the window page names the bundles, so only the installation's own pages need the manifest.
import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('.', import.meta.url));
const dist = `${root}dist`;
const protocol = fileURLToPath(new URL('../../packages/protocol/src/', import.meta.url));

const common = {
  bundle: true,
  minify: true,
  write: false,
  format: 'iife',
  target: ['chrome109', 'firefox115', 'safari15.4'],
  legalComments: 'none',
  // Type imports vanish; the runtime imports of the protocol are its dependency-free client helpers.
  alias: {
    '@plauder/protocol/ids': `${protocol}ids.ts`,
    '@plauder/protocol/backoff': `${protocol}backoff.ts`,
  },
  jsx: 'automatic',
  jsxImportSource: 'preact',
  logLevel: 'warning',
};

/** @param {Uint8Array} bytes */
const hashOf = (bytes) => createHash('sha256').update(bytes).digest('base64url').slice(0, 12);

// The bundles of the release before stay: window pages cached for a few minutes, and nodes of a
// rolling upgrade, still name them. Older ones go.
/** @type {string[]} */
const previous = await readFile(`${dist}/manifest.json`, 'utf8')
  .then((text) => {
    // eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- written by the build before, as below
    const manifest = /** @type {{ window: { script: string; style: string } }} */ (JSON.parse(text));
    return [manifest.window.script, manifest.window.style].map((file) => file.replace('assets/', ''));
  })
  .catch(() => []);
await mkdir(`${dist}/assets`, { recursive: true });
for (const name of await readdir(`${dist}/assets`)) {
  if (!previous.includes(name)) await rm(`${dist}/assets/${name}`);
}

const loader = await build({ ...common, entryPoints: [`${root}src/loader/loader.ts`], outfile: `${dist}/loader.js` });
const loaderFile = loader.outputFiles[0];
await writeFile(`${dist}/loader.js`, loaderFile.contents);

const window = await build({ ...common, entryPoints: [`${root}src/window/main.tsx`], outdir: `${dist}/tmp` });
const manifest = { loader: 'loader.js', window: { script: '', style: '' } };
for (const file of window.outputFiles) {
  const ext = file.path.endsWith('.css') ? 'css' : 'js';
  const name = `window.${hashOf(file.contents)}.${ext}`;
  await writeFile(`${dist}/assets/${name}`, file.contents);
  manifest.window[ext === 'css' ? 'style' : 'script'] = `assets/${name}`;
}
if (!manifest.window.script || !manifest.window.style) throw new Error('the window build lacks its script or style');
await writeFile(`${dist}/manifest.json`, `${JSON.stringify(manifest, null, 2)}\n`);
console.log(`widget: ${(await readdir(`${dist}/assets`)).join(', ')}, loader.js`);
