// Builds the GraphiQL page's assets into ../assets: one script, one style
// sheet (fonts and images inlined as data: URLs, so the page needs nothing
// but its own origin) and the licenses of everything bundled. Run through
// `make graphiql-assets` (scripts/graphiql-assets.sh), after `npm ci`.
import * as esbuild from 'esbuild';
import { existsSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const out = '../assets';
const result = await esbuild.build({
  entryPoints: ['src/main.jsx'],
  bundle: true,
  minify: true,
  format: 'iife',
  target: 'es2020',
  define: { 'process.env.NODE_ENV': '"production"' },
  loader: { '.woff2': 'dataurl', '.woff': 'dataurl', '.ttf': 'dataurl', '.svg': 'dataurl', '.png': 'dataurl' },
  legalComments: 'none', // the licenses are collected whole below
  outfile: join(out, 'graphiql.js'),
  metafile: true,
  logLevel: 'info',
});

// Every npm package with a file in the bundle, with its license text.
const packages = new Map();
for (const input of Object.keys(result.metafile.inputs)) {
  const m = input.match(/^(.*node_modules\/(?:@[^/]+\/)?[^/]+)\//);
  if (!m || packages.has(m[1])) continue;
  const pkg = JSON.parse(readFileSync(join(m[1], 'package.json'), 'utf8'));
  const file = readdirSync(m[1]).find((f) => /^(licen[sc]e|copying)/i.test(f));
  packages.set(m[1], {
    id: `${pkg.name}@${pkg.version}`,
    license: typeof pkg.license === 'string' ? pkg.license : JSON.stringify(pkg.license),
    text: file ? readFileSync(join(m[1], file), 'utf8').trim() : '(no license file in the package)',
  });
}
const notices = [...packages.values()]
  .sort((a, b) => (a.id < b.id ? -1 : 1))
  .map((p) => `${p.id} — ${p.license}\n\n${p.text}\n`)
  .join('\n' + '-'.repeat(72) + '\n\n');
writeFileSync(
  join(out, 'THIRD_PARTY_NOTICES.txt'),
  'The GraphiQL page served by pivotal bundles these npm packages (graphiql/ui/package-lock.json).\n\n' +
    '-'.repeat(72) + '\n\n' + notices,
);
console.log(`${packages.size} packages bundled; licenses in ${join(out, 'THIRD_PARTY_NOTICES.txt')}`);
