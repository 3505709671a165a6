// Processing pipeline benchmark: the full hook chain on a realistic IPA payload, per payload,
// against a baseline measured in the same run (a JSON round trip of the same payload, the
// least any processing must do). Usage: npx tsx bench/pipeline.ts [iterations=2000]

import fs from 'node:fs';
import path from 'node:path';
import { DEFAULT_PROCESSING_CONFIG, runPipeline } from '../activities/hooks';
import type { HookNode } from '../activities/hooks/types';
import { IntrospectionDataSchema } from '../common/inventory';

const iterations = Number(process.argv[2] ?? 2000);
if (!Number.isInteger(iterations) || iterations < 1) {
  process.stderr.write('usage: tsx bench/pipeline.ts [iterations]\n');
  process.exit(2);
}
const raw = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'test', 'fixtures', 'hooks', 'ipa-payload.json'), 'utf8'));
const node: HookNode = { uuid: '00000000-0000-4000-8000-000000000001', name: 'bench', properties: {}, extra: {}, traits: [], ports: [] };

function perCallUs(fn: () => void): number {
  for (let i = 0; i < Math.min(200, iterations); i++) fn(); // warm up
  const started = performance.now();
  for (let i = 0; i < iterations; i++) fn();
  return ((performance.now() - started) * 1000) / iterations;
}

const baseline = perCallUs(() => JSON.parse(JSON.stringify(raw)));
const validate = perCallUs(() => IntrospectionDataSchema.parse(raw));
const pipeline = perCallUs(() => runPipeline(IntrospectionDataSchema.parse(raw), node, DEFAULT_PROCESSING_CONFIG));
process.stdout.write(`pipeline iterations=${iterations} payload_bytes=${JSON.stringify(raw).length}\n`);
process.stdout.write(`baseline json_roundtrip_us=${baseline.toFixed(1)}\n`);
process.stdout.write(`validate us=${validate.toFixed(1)} ratio=${(validate / baseline).toFixed(1)}\n`);
process.stdout.write(`validate+hooks us=${pipeline.toFixed(1)} ratio=${(pipeline / baseline).toFixed(1)}\n`);
process.stdout.write(`heap_used_mb=${(process.memoryUsage().heapUsed / 2 ** 20).toFixed(1)}\n`);
