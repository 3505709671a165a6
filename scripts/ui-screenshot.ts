// Pictures of the Temporal UI's workflow list while a bulk introspection of a small rack runs,
// and of the same list searched by a node's name (the IntrospectionNodeName search attribute),
// so an operator finds rack2-3-compute without copying uuids; each run's summary (its user
// metadata) names its node, rack and bulk. The nodes use the `fake` BMC driver and no agent calls
// back: the runs wait, which is what the picture needs. Taken by Debian's chromium, headless.
// Usage: npx tsx scripts/ui-screenshot.ts [out.png=docs/temporal-ui-workflows.png]
//   (apt-get install chromium first; the stack runs on ports 18633-18655 and stops after)

import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadConfig } from '../common/config';
import { jsonCaller } from './json-call';
import { startStack } from './stack';

const OUT = path.resolve(process.argv[2] ?? path.join(__dirname, '..', 'docs', 'temporal-ui-workflows.png'));
const UI_PORT = 18639;
const admin = { username: 'admin', password: randomBytes(18).toString('base64url') };

const call = jsonCaller(admin);

async function main(): Promise<void> {
  execFileSync('chromium', ['--version'], { stdio: 'ignore' }); // fails first, clearly, without it
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'introspector-ui-'));
  const config = loadConfig({
    ...process.env,
    INTROSPECTOR_DATA_DIR: dataDir,
    TEMPORAL_ADDRESS: '127.0.0.1:18633',
    S3_ENDPOINT: 'http://127.0.0.1:18643',
    TEMPORAL_TASK_QUEUE: 'ui-screenshot',
    INSPECTOR_PORT: '0',
    NODE_API_PORT: '0',
    INTROSPECTOR_ADMIN_PASSWORD: admin.password,
  });
  const stack = await startStack(config, { uiPort: UI_PORT, quiet: true });
  try {
    for (const [rack, count] of [['rack2', 4], ['rack3', 2]] as const) {
      for (let i = 1; i <= count; i++) {
        await call('POST', `${stack.nodeUrl}/v1/nodes`, { name: `${rack}-${i}-compute`, driver: 'fake', extra: { rack } });
      }
    }
    const { bulk_id: bulkId } = await call('POST', `${stack.inspectorUrl}/v1/introspection`, { filters: { rack: 'rack2' }, concurrency: 4 });
    await call('POST', `${stack.inspectorUrl}/v1/introspection/rack3-1-compute`);
    // Every run waits for its agent (none comes) before the picture.
    for (let tries = 0; ; tries++) {
      const { introspection } = await call('GET', `${stack.inspectorUrl}/v1/introspection`);
      if (introspection.filter((s: { state: string }) => s.state === 'waiting').length >= 5) break;
      if (tries > 100) throw new Error('the runs did not reach waiting');
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    fs.mkdirSync(path.dirname(OUT), { recursive: true });
    const ui = `http://127.0.0.1:${UI_PORT}/namespaces/${config.TEMPORAL_NAMESPACE}/workflows`;
    // The whole list, then the runs of one node found by its name (IntrospectionNodeName).
    const byName = `${ui}?query=${encodeURIComponent('IntrospectionNodeName="rack2-3-compute"')}`;
    for (const [file, url] of [
      [OUT, ui],
      [OUT.replace(/\.png$/, '-by-name.png'), byName],
    ]) {
      execFileSync(
        'chromium',
        ['--headless', '--no-sandbox', '--disable-gpu', '--hide-scrollbars', '--window-size=1600,700', '--virtual-time-budget=15000', `--screenshot=${file}`, url],
        { stdio: ['ignore', 'ignore', 'pipe'], timeout: 120_000 },
      );
      process.stdout.write(`${file} (${url})\n`);
    }
    process.stdout.write(`bulk ${bulkId}\n`);
  } finally {
    await stack.stop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.message : String(err)}\n`);
  process.exit(1);
});
