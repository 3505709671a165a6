// Bundles the agent into one self-contained file, dist/agent.js, runnable with
// a bare `node dist/agent.js` (no node_modules needed on the ramdisk).
// Usage: npx tsx agent/build.ts [outfile]

import { promises as fs } from 'node:fs';
import path from 'node:path';
import { build } from 'esbuild';

export const DEFAULT_OUTFILE = path.resolve(__dirname, '..', 'dist', 'agent.js');

export async function buildAgent(outfile: string = DEFAULT_OUTFILE): Promise<{ outfile: string; bytes: number }> {
  return bundle(path.join(__dirname, 'main.ts'), outfile);
}

/** One TypeScript entry point and everything it imports, as one executable file for a bare `node`. */
export async function bundle(entry: string, outfile: string): Promise<{ outfile: string; bytes: number }> {
  const result = await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    banner: { js: '#!/usr/bin/env node' },
    legalComments: 'none',
    logLevel: 'warning',
    metafile: false,
  });
  if (result.errors.length) throw new Error(`esbuild failed: ${result.errors.map((e) => e.text).join('; ')}`);
  await fs.chmod(outfile, 0o755);
  const { size } = await fs.stat(outfile);
  return { outfile, bytes: size };
}

if (require.main === module) {
  const outfile = process.argv[2] ? path.resolve(process.argv[2]) : DEFAULT_OUTFILE;
  buildAgent(outfile).then(
    ({ bytes }) => process.stdout.write(`built ${path.relative(process.cwd(), outfile)} (${(bytes / 1024).toFixed(0)} KiB)\n`),
    (error) => {
      process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
      process.exit(1);
    },
  );
}
