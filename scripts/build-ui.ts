/**
 * Bundles the web UI (ui/) into dist/ui: one minified script and one stylesheet (Pico.css and the
 * UI's own rules), named by a hash of their content, and an index.html that loads them. Run by
 * `npm run build` (and so by `npm ci` through `prepare`); the server serves dist/ui at /ui/ and
 * nothing is fetched from elsewhere at run time.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { build } from 'esbuild';

const root = path.resolve(import.meta.dirname, '..');
const out = path.join(root, 'dist', 'ui');

const result = await build({
  entryPoints: { app: path.join(root, 'ui', 'main.tsx'), style: path.join(root, 'ui', 'styles.css') },
  bundle: true,
  minify: true,
  format: 'esm',
  target: ['es2022'],
  jsx: 'automatic',
  jsxImportSource: 'preact',
  entryNames: '[name]-[hash]',
  outdir: path.join(out, 'assets'),
  metafile: true,
  write: false,
  legalComments: 'eof',
  logLevel: 'warning',
});

const outputs = result.outputFiles.map((file) => ({ file, name: path.basename(file.path) }));
const script = outputs.find((o) => o.name.startsWith('app-') && o.name.endsWith('.js'));
const style = outputs.find((o) => o.name.startsWith('style-') && o.name.endsWith('.css'));
if (!script || !style) throw new Error('build-ui: the bundle has no app script or no stylesheet');

const index = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Trove</title>
<link rel="icon" href="data:,">
<!--trove-config-->
<link rel="stylesheet" href="assets/${style.name}">
<script type="module" src="assets/${script.name}"></script>
</head>
<body>
<div id="app"></div>
<noscript>Trove's web UI needs JavaScript.</noscript>
</body>
</html>
`;

await rm(out, { recursive: true, force: true });
await mkdir(path.join(out, 'assets'), { recursive: true });
for (const { file } of outputs) await writeFile(file.path, file.contents);
await writeFile(path.join(out, 'index.html'), index);
