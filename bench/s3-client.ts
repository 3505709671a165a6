// CPU per S3 call: the AWS SDK (@aws-sdk/client-s3, configured as ObjectStore configured it before)
// against ObjectStore's signed node:http requests (activities/s3-requests.ts), in the same run,
// on one versitygw (port 19663) and one IPA-shaped JSON document (~3 KB). For each call a
// callback makes (put, get, copy, copy of a missing key, delete), each client does a warm-up and
// then `calls` calls one after the other; CPU is this process's (process.cpuUsage) and
// versitygw's (/proc), each divided by the number of calls.
// Prints `key=value` lines: <op>_<client>_client_ms, <op>_<client>_s3_ms, <op>_<client>_wall_ms,
// and <op>_client_ratio / <op>_s3_ratio (ObjectStore / SDK); the same summed over the five ops.
// Usage: npx tsx bench/s3-client.ts [calls=300]

import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CopyObjectCommand, DeleteObjectCommand, GetObjectCommand, NoSuchKey, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { z } from 'zod';
import { ObjectStore } from '../activities/storage';
import { loadConfig } from '../common/config';
import { describeZodError } from '../common/validation';
import { fakeAgentPayload } from '../scripts/fake-agent';
import { startBackingServices, type Service } from '../scripts/services';
import { treeCpuMs } from './proc-cpu';

const parsed = z.object({ calls: z.coerce.number().int().min(10).default(300) }).safeParse({ calls: process.argv[2] });
if (!parsed.success) {
  process.stderr.write(`${describeZodError(parsed.error)}\nusage: tsx bench/s3-client.ts [calls]\n`);
  process.exit(2);
}
const { calls } = parsed.data;
const WARMUP = 30;
const S3_PORT = 19663;
const OPS = ['put', 'get', 'copy', 'copy_missing', 'delete'] as const;
type Op = (typeof OPS)[number];
type Client = 'sdk' | 'store';

const out = (key: string, value: string | number) => process.stdout.write(`${key}=${value}\n`);

/** The five calls, made with the AWS SDK as ObjectStore made them before it signed its own requests. */
function sdkCalls(sdk: S3Client, bucket: string, body: string): Record<Op, (i: number) => Promise<unknown>> {
  return {
    put: (i) => sdk.send(new PutObjectCommand({ Bucket: bucket, Key: `sdk/put-${i}`, Body: body, ContentType: 'application/json' })),
    get: async () => {
      const answer = await sdk.send(new GetObjectCommand({ Bucket: bucket, Key: 'source' }));
      return JSON.parse(await answer.Body!.transformToString());
    },
    copy: (i) => sdk.send(new CopyObjectCommand({ Bucket: bucket, CopySource: `${bucket}/source`, Key: `sdk/copy-${i}` })),
    copy_missing: async (i) => {
      try {
        await sdk.send(new CopyObjectCommand({ Bucket: bucket, CopySource: `${bucket}/missing`, Key: `sdk/never-${i}` }));
        throw new Error('copy of a missing key succeeded');
      } catch (err) {
        if (!(err instanceof NoSuchKey) && (err as { name?: string }).name !== 'NoSuchKey') throw err;
      }
    },
    delete: (i) => sdk.send(new DeleteObjectCommand({ Bucket: bucket, Key: `sdk/copy-${i}` })),
  };
}

function storeCalls(store: ObjectStore, doc: unknown): Record<Op, (i: number) => Promise<unknown>> {
  return {
    put: (i) => store.putJson(`store/put-${i}`, doc),
    get: () => store.getJson('source'),
    copy: (i) => store.copy('source', `store/copy-${i}`),
    copy_missing: async (i) => {
      if (await store.copy('missing', `store/never-${i}`)) throw new Error('copy of a missing key succeeded');
    },
    delete: (i) => store.delete(`store/copy-${i}`),
  };
}

async function measure(gateway: number, call: (i: number) => Promise<unknown>) {
  for (let i = 0; i < WARMUP; i++) await call(calls + i);
  const cpu0 = process.cpuUsage();
  const gateway0 = treeCpuMs([gateway]).get(gateway)!;
  const t0 = performance.now();
  for (let i = 0; i < calls; i++) await call(i);
  const wall = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const gatewayMs = treeCpuMs([gateway]).get(gateway)! - gateway0;
  return { client: (cpu.user + cpu.system) / 1000 / calls, s3: gatewayMs / calls, wall: wall / calls };
}

async function main() {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'bench-s3-client-'));
  const config = loadConfig({ ...process.env, INTROSPECTOR_DATA_DIR: dataDir, S3_ENDPOINT: `http://127.0.0.1:${S3_PORT}` });
  const services: Service[] = await startBackingServices(config, { uiPort: 0, temporal: false, s3: true });
  const gateway = services[0].child.pid!;
  const credentials = { accessKeyId: config.S3_ACCESS_KEY, secretAccessKey: config.S3_SECRET_KEY };
  const store = new ObjectStore({ endpoint: config.S3_ENDPOINT, region: config.S3_REGION, bucket: config.S3_BUCKET, ...credentials });
  const sdk = new S3Client({
    endpoint: config.S3_ENDPOINT,
    region: config.S3_REGION,
    forcePathStyle: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    credentials,
  });
  try {
    await store.ensureBucket();
    const doc = fakeAgentPayload('02:00:00:00:00:01');
    const body = JSON.stringify(doc);
    await store.putJson('source', doc);
    out('body_bytes', Buffer.byteLength(body));
    out('calls', calls);
    const clients: Record<Client, Record<Op, (i: number) => Promise<unknown>>> = { sdk: sdkCalls(sdk, config.S3_BUCKET, body), store: storeCalls(store, doc) };
    const totals = { sdk: { client: 0, s3: 0 }, store: { client: 0, s3: 0 } };
    for (const op of OPS) {
      const result = { sdk: await measure(gateway, clients.sdk[op]), store: await measure(gateway, clients.store[op]) };
      for (const client of ['sdk', 'store'] as const) {
        const m = result[client];
        out(`${op}_${client}_client_ms`, m.client.toFixed(3));
        out(`${op}_${client}_s3_ms`, m.s3.toFixed(3));
        out(`${op}_${client}_wall_ms`, m.wall.toFixed(3));
        totals[client].client += m.client;
        totals[client].s3 += m.s3;
      }
      out(`${op}_client_ratio`, (result.store.client / result.sdk.client).toFixed(2));
      out(`${op}_s3_ratio`, (result.store.s3 / result.sdk.s3).toFixed(2));
    }
    out('all_sdk_client_ms', totals.sdk.client.toFixed(3));
    out('all_store_client_ms', totals.store.client.toFixed(3));
    out('all_client_ratio', (totals.store.client / totals.sdk.client).toFixed(2));
    out('all_sdk_s3_ms', totals.sdk.s3.toFixed(3));
    out('all_store_s3_ms', totals.store.s3.toFixed(3));
    out('all_s3_ratio', (totals.store.s3 / totals.sdk.s3).toFixed(2));
  } finally {
    store.destroy();
    sdk.destroy();
    for (const s of services.reverse()) await s.stop();
  }
}

main().catch((err) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
