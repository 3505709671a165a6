import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ObjectStore, type ObjectStoreSettings } from '../../activities/storage';
import { isUnreachable } from '../../api/health';
import { loadConfig } from '../../common/config';
import { startBackingServices, type Service } from '../../scripts/services';

// ObjectStore's signed requests against a real versitygw (19664): documents round-trip byte for
// byte under awkward keys, objects it writes are readable with the AWS SDK and the other way
// round, and each failure (missing key, wrong credentials, a server that never answers, a copy
// refused in a 200 answer) comes back as S3 means it. Two plain local servers stand in for what
// versitygw cannot be made to do: never answer (19665) and answer a copy 200 with an error (19666).

const S3_PORT = 19664;
const SILENT_PORT = 19665;
const FAKE_PORT = 19666;

let services: Service[] = [];
let settings: ObjectStoreSettings;
let store: ObjectStore;
let sdk: S3Client;
const stores: ObjectStore[] = [];

const storeWith = (overrides: Partial<ObjectStoreSettings>) => {
  const s = new ObjectStore({ ...settings, ...overrides });
  stores.push(s);
  return s;
};

async function sdkRead(key: string): Promise<Buffer> {
  const out = await sdk.send(new GetObjectCommand({ Bucket: settings.bucket, Key: key }));
  return Buffer.from(await out.Body!.transformToByteArray());
}

const sha256 = (data: Buffer | string) => createHash('sha256').update(data).digest('hex');

/** The error a promise rejects with (fails the test when it resolves). */
async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected the call to fail, it succeeded');
}

beforeAll(async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'introspector-storage-'));
  const config = loadConfig({ INTROSPECTOR_DATA_DIR: dataDir, S3_ENDPOINT: `http://127.0.0.1:${S3_PORT}` });
  services = await startBackingServices(config, { uiPort: 0, temporal: false, s3: true });
  settings = { endpoint: config.S3_ENDPOINT, region: config.S3_REGION, bucket: config.S3_BUCKET, accessKeyId: config.S3_ACCESS_KEY, secretAccessKey: config.S3_SECRET_KEY };
  store = storeWith({});
  await store.ensureBucket();
  sdk = new S3Client({
    endpoint: config.S3_ENDPOINT,
    region: config.S3_REGION,
    forcePathStyle: true,
    credentials: { accessKeyId: config.S3_ACCESS_KEY, secretAccessKey: config.S3_SECRET_KEY },
  });
}, 60_000);

afterAll(async () => {
  for (const s of stores) s.destroy();
  sdk?.destroy();
  for (const s of services.reverse()) await s.stop();
});

test('putJson then readJson: the same document, and the size and SHA-256 putJson gave are those of the stored bytes', async () => {
  const doc = { inventory: { interfaces: [{ name: 'eth0', mac_address: '52:54:00:12:34:56' }] }, note: 'größe ≥ 3 — 日本', n: 42 };
  const stored = await store.putJson('inspector_data-round-trip', doc);
  const bytes = await sdkRead('inspector_data-round-trip');
  expect(stored).toEqual({ bytes: bytes.length, sha256: sha256(bytes) });
  expect(bytes.toString('utf8')).toBe(JSON.stringify(doc));
  expect(await store.readJson('inspector_data-round-trip')).toEqual({ value: doc, bytes: stored.bytes });
  expect(await store.getJson('inspector_data-round-trip')).toEqual(doc);
  expect(await store.readJson('inspector_data-never-written')).toBeUndefined();
});

test('keys with slashes, spaces, unicode and reserved characters are stored under exactly that name', async () => {
  const keys = ['received/uuid-1/post 1', 'dir/sub dir/ünïcødé-日本', "odd !'()*+,;=&$@:?#%[]~ name"];
  for (const [i, key] of keys.entries()) await store.putJson(key, { i });
  const listed = await sdk.send(new ListObjectsV2Command({ Bucket: settings.bucket }));
  expect(listed.Contents?.map((o) => o.Key)).toEqual(expect.arrayContaining(keys));
  for (const [i, key] of keys.entries()) {
    expect(await store.getJson(key)).toEqual({ i });
    expect(JSON.parse((await sdkRead(key)).toString('utf8'))).toEqual({ i });
  }
});

test('objects ObjectStore writes are read by the AWS SDK, and the other way round', async () => {
  await store.putJson('interop/from-store', { by: 'store' });
  expect(JSON.parse((await sdkRead('interop/from-store')).toString('utf8'))).toEqual({ by: 'store' });
  const body = JSON.stringify({ by: 'sdk', text: 'é' });
  await sdk.send(new PutObjectCommand({ Bucket: settings.bucket, Key: 'interop/from sdk ü', Body: body, ContentType: 'application/json' }));
  expect(await store.readJson('interop/from sdk ü')).toEqual({ value: { by: 'sdk', text: 'é' }, bytes: Buffer.byteLength(body) });
});

test('copy duplicates an object; copying a missing one answers false and writes nothing', async () => {
  await store.putJson('copy/source doc', { copied: true });
  expect(await store.copy('copy/source doc', 'copy/target ü')).toBe(true);
  expect(await store.getJson('copy/target ü')).toEqual({ copied: true });
  expect(await store.copy('copy/no such source', 'copy/never')).toBe(false);
  expect(await store.readJson('copy/never')).toBeUndefined();
});

test('delete removes an object; deleting a missing one succeeds', async () => {
  await store.putJson('delete/me', { gone: false });
  await store.delete('delete/me');
  expect(await store.readJson('delete/me')).toBeUndefined();
  await expect(store.delete('delete/me')).resolves.toBeUndefined();
  await expect(store.delete('delete/never-there')).resolves.toBeUndefined();
});

test('ensureBucket creates a missing bucket, and calling it again changes nothing', async () => {
  const other = storeWith({ bucket: 'created-by-ensure' });
  const before = await rejection(other.readJson('anything'));
  expect(before.message).toMatch(/NoSuchBucket/);
  await other.ensureBucket();
  await other.putJson('kept', { kept: 1 });
  await other.ensureBucket();
  expect(await other.getJson('kept')).toEqual({ kept: 1 });
  await other.ping(2000);
});

test('wrong credentials: an error naming the operation, the key and S3 code, with neither secret in it', async () => {
  const wrongSecret = 'Wr0ng-secret-for-storage-test';
  const badSecret = await rejection(storeWith({ secretAccessKey: wrongSecret }).readJson('inspector_data-round-trip'));
  expect(badSecret.message).toMatch(/^S3 GetObject of "inspector_data-round-trip" in bucket introspector failed: HTTP 403 SignatureDoesNotMatch: \S/);
  const badKey = await rejection(storeWith({ accessKeyId: 'no-such-user' }).putJson('inspector_data-x', { a: 1 }));
  // versitygw answers an unknown access key with its own code, AWS with InvalidAccessKeyId.
  expect(badKey.message).toMatch(/^S3 PutObject of "inspector_data-x" in bucket introspector failed: HTTP 40\d (XAdminUserNotFound|InvalidAccessKeyId): \S/);
  for (const err of [badSecret, badKey]) {
    const text = `${err.message} ${err.stack} ${JSON.stringify(err)}`;
    expect(text).not.toContain(wrongSecret);
    expect(text).not.toContain(settings.secretAccessKey);
    expect(text).not.toMatch(/AWS4-HMAC-SHA256|Signature=/);
    expect(isUnreachable(err)).toBe(false);
  }
});

test('a server that accepts the connection and never answers: the call fails by its timeout, and counts as unreachable', async () => {
  const sockets = new Set<net.Socket>();
  const silent = net.createServer((socket) => sockets.add(socket));
  await new Promise<void>((resolve) => silent.listen(SILENT_PORT, '127.0.0.1', resolve));
  try {
    const slow = storeWith({ endpoint: `http://127.0.0.1:${SILENT_PORT}`, timeoutMs: 300 });
    let started = performance.now();
    const err = await rejection(slow.readJson('inspector_data-x'));
    expect(performance.now() - started).toBeGreaterThanOrEqual(295);
    expect(err.message).toBe(`S3 GetObject of "inspector_data-x" in bucket introspector at http://127.0.0.1:${SILENT_PORT} failed: no answer within 300 ms`);
    expect(isUnreachable(err)).toBe(true);
    // ping keeps its own timeout, whatever the store's.
    const patient = storeWith({ endpoint: `http://127.0.0.1:${SILENT_PORT}` });
    started = performance.now();
    expect((await rejection(patient.ping(200))).message).toMatch(/HeadBucket of bucket introspector .* no answer within 200 ms$/);
    expect(performance.now() - started).toBeLessThan(10_000);
    expect(sockets.size).toBe(2);
  } finally {
    for (const socket of sockets) socket.destroy();
    await new Promise((resolve) => silent.close(resolve));
  }
});

test('one kept-alive connection per store, closed by destroy(); a copy S3 answers 200 with an error document fails', async () => {
  let connections = 0;
  const requests: { method?: string; url?: string; copySource?: string | string[] }[] = [];
  const fake = http.createServer((req, res) => {
    requests.push({ method: req.method, url: req.url, copySource: req.headers['x-amz-copy-source'] });
    req.resume();
    req.on('end', () => {
      if (req.headers['x-amz-copy-source']) {
        res.writeHead(200, { 'content-type': 'application/xml' });
        res.end('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>InternalError</Code><Message>We encountered an internal error. Please try again.</Message></Error>');
      } else {
        res.writeHead(200, { 'content-type': 'application/json' });
        res.end('{"ok":true}');
      }
    });
  });
  fake.on('connection', () => connections++);
  await new Promise<void>((resolve) => fake.listen(FAKE_PORT, '127.0.0.1', resolve));
  const closed = new Promise<void>((resolve) => fake.on('connection', (socket) => socket.on('close', () => resolve())));
  try {
    const local = new ObjectStore({ ...settings, endpoint: `http://127.0.0.1:${FAKE_PORT}` });
    for (let i = 0; i < 5; i++) expect(await local.getJson(`k ${i}/ü!'()*~`)).toEqual({ ok: true });
    const err = await rejection(local.copy('from/a b', 'to/c'));
    expect(err.message).toBe('S3 CopyObject of "to/c" in bucket introspector failed: HTTP 200 InternalError: We encountered an internal error. Please try again.');
    expect(requests.at(-1)).toEqual({ method: 'PUT', url: '/introspector/to/c', copySource: '/introspector/from/a%20b' });
    // Each segment percent-encoded but for RFC 3986's unreserved characters, as S3 signs it.
    expect(requests[0].url).toBe('/introspector/k%200/%C3%BC%21%27%28%29%2A~');
    expect(connections).toBe(1);
    local.destroy();
    await closed;
  } finally {
    fake.closeAllConnections();
    await new Promise((resolve) => fake.close(resolve));
  }
});

test('a request on a kept-alive connection the server closed goes once more on a fresh one; a fresh connection reset is an error', async () => {
  const seen: number[] = [];
  let resetEverything = false;
  const fake = http.createServer((req, res) => {
    const onConnection = (req.socket as net.Socket & { served?: number }).served ?? 0;
    (req.socket as net.Socket & { served?: number }).served = onConnection + 1;
    seen.push(onConnection);
    // What S3 closing an idle kept-alive connection looks like to a request just sent on it.
    if (resetEverything || onConnection > 0) return req.socket.destroy();
    req.resume();
    req.on('end', () => res.end('{"ok":true}'));
  });
  await new Promise<void>((resolve) => fake.listen(FAKE_PORT, '127.0.0.1', resolve));
  const local = new ObjectStore({ ...settings, endpoint: `http://127.0.0.1:${FAKE_PORT}` });
  try {
    expect(await local.getJson('a')).toEqual({ ok: true });
    expect(await local.getJson('b')).toEqual({ ok: true });
    expect(seen).toEqual([0, 1, 0]); // b: reset on the kept connection, then answered on a new one
    resetEverything = true;
    local.destroy(); // no kept connection left: the next request goes on a fresh one
    const err = await rejection(local.getJson('c'));
    expect(err.message).toMatch(/^S3 GetObject of "c" in bucket introspector at http:\/\/127\.0\.0\.1:19666 failed: socket hang up$/);
    expect(seen).toEqual([0, 1, 0, 0]); // not sent again
  } finally {
    local.destroy();
    fake.closeAllConnections();
    await new Promise((resolve) => fake.close(resolve));
  }
});
