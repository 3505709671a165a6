// The esbuild bundle runs with bare node, without node_modules.

import { execFile } from 'node:child_process';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { IntrospectionDataSchema } from '../../common/inventory';
import { buildAgent } from '../../agent/build';

const run = promisify(execFile);

test('dist bundle: node agent.js --dry-run', async () => {
  const dir = await fs.mkdtemp(path.join(os.tmpdir(), 'agent-bundle-'));
  try {
    const { outfile, bytes } = await buildAgent(path.join(dir, 'agent.js'));
    expect(bytes).toBeGreaterThan(10_000);
    // cwd outside the repo: nothing can be resolved from node_modules
    const { stdout, stderr } = await run(process.execPath, [outfile, '--dry-run', '--cmdline-file', '/dev/null'], {
      cwd: dir,
      env: { PATH: process.env.PATH ?? '' },
      maxBuffer: 16 * 1024 * 1024,
    });
    const payload = JSON.parse(stdout);
    expect(IntrospectionDataSchema.safeParse(payload).success).toBe(true);
    expect(stderr).toMatch(/collection finished/);
    const help = await run(process.execPath, [outfile, '--help'], { cwd: dir });
    expect(help.stdout).toContain('--callback-url');
  } finally {
    await fs.rm(dir, { recursive: true, force: true });
  }
}, 60_000);
