import { backoffDelay, deliver, parseRetryAfter, serverMessage } from '../../agent/deliver';
import { NOT_WAITING_YET } from '../../common/api-types';
import { captureLogger } from './helpers';
import { type ScriptedServer, deadUrl, scriptedServer } from './server';

const PAYLOAD = { inventory: { interfaces: [] }, error: null };

let server: ScriptedServer | null = null;
afterEach(async () => {
  await server?.close();
  server = null;
});

/** A clock that only moves when the agent sleeps. */
function fakeTime(start = 1_000_000) {
  let now = start;
  const sleeps: number[] = [];
  return {
    sleeps,
    now: () => now,
    sleep: async (ms: number) => {
      sleeps.push(ms);
      now += ms;
    },
  };
}

test('503 three times, then success', async () => {
  server = await scriptedServer([
    { status: 503, body: { error: { message: 'busy' } } },
    { status: 503 },
    { status: 502, body: 'bad gateway' },
    { status: 202, body: { uuid: '1a2b3c4d-0000-4000-8000-000000000001' } },
  ]);
  const delays: number[] = [];
  const log = captureLogger();
  const result = await deliver(server.url, PAYLOAD, {
    deadlineMs: 10_000,
    baseDelayMs: 5,
    random: () => 1,
    sleep: (ms) => {
      delays.push(ms);
      return new Promise((r) => setTimeout(r, ms));
    },
    log,
  });
  expect(result).toEqual({ ok: true, status: 202, attempts: 4, body: { uuid: '1a2b3c4d-0000-4000-8000-000000000001' } });
  expect(delays).toEqual([5, 10, 20]);
  expect(server.received).toHaveLength(4);
  const request = server.received[0];
  expect(request.method).toBe('POST');
  expect(request.headers['content-type']).toBe('application/json');
  expect(JSON.parse(request.body)).toEqual(PAYLOAD);
  expect(log.text()).toContain('HTTP 503: busy');
  expect(log.text()).toContain('1a2b3c4d-0000-4000-8000-000000000001');
});

test('jitter keeps each wait within [cap/2, cap]', () => {
  for (const r of [0, 0.3, 0.999]) {
    const d = backoffDelay(3, 100, 10_000, () => r);
    expect(d).toBeGreaterThanOrEqual(200);
    expect(d).toBeLessThanOrEqual(400);
  }
  expect(backoffDelay(20, 100, 1000, () => 1)).toBe(1000);
});

test('429 with Retry-After is honoured', async () => {
  server = await scriptedServer([
    { status: 429, body: { error: { message: 'slow down' } }, headers: { 'retry-after': '2' } },
    { status: 200, body: {} },
  ]);
  const time = fakeTime();
  const result = await deliver(server.url, PAYLOAD, { deadlineMs: 60_000, baseDelayMs: 5, ...time });
  expect(result.ok).toBe(true);
  expect(time.sleeps).toEqual([2000]);
  expect(server.received).toHaveLength(2);
});

test('Retry-After past the deadline: give up without waiting', async () => {
  server = await scriptedServer([{ status: 429, headers: { 'retry-after': '3600' } }]);
  const time = fakeTime();
  const result = await deliver(server.url, PAYLOAD, { deadlineMs: 60_000, ...time });
  expect(result).toMatchObject({ ok: false, reason: 'deadline', attempts: 1 });
  expect(time.sleeps).toEqual([]);
});

test('400 is not retried and the server message is reported', async () => {
  server = await scriptedServer([{ status: 400, body: { error: { message: 'Could not find a node for attributes {"bmc_address": "10.0.0.9"}' } } }]);
  const log = captureLogger();
  const time = fakeTime();
  const result = await deliver(server.url, PAYLOAD, { deadlineMs: 60_000, log, ...time });
  expect(result).toEqual({
    ok: false,
    reason: 'rejected',
    status: 400,
    attempts: 1,
    message: 'Could not find a node for attributes {"bmc_address": "10.0.0.9"}',
  });
  expect(server.received).toHaveLength(1);
  expect(time.sleeps).toEqual([]);
  expect(log.lines.find((l) => l.level === 'error')?.fields?.message).toContain('Could not find a node');
});

test('a 409 saying the run is not waiting yet is tried again; any other 409 is final', async () => {
  server = await scriptedServer([
    { status: 409, body: { error: { message: `the introspection is ${NOT_WAITING_YET}; try again shortly` } } },
    { status: 200, body: { uuid: '1a2b3c4d-0000-4000-8000-000000000002' } },
    { status: 409, body: { error: { message: 'the introspection has already received its data or is no longer waiting for it' } } },
  ]);
  const time = fakeTime();
  expect(await deliver(server.url, PAYLOAD, { deadlineMs: 60_000, ...time })).toMatchObject({ ok: true, attempts: 2 });
  expect(time.sleeps).toHaveLength(1);
  expect(await deliver(server.url, PAYLOAD, { deadlineMs: 60_000, ...time })).toMatchObject({ ok: false, reason: 'rejected', status: 409, attempts: 1 });
});

test('deadline exceeded while the server keeps failing (fake clock)', async () => {
  server = await scriptedServer([{ status: 503 }]);
  const time = fakeTime();
  const result = await deliver(server.url, PAYLOAD, { deadlineMs: 10_000, baseDelayMs: 1000, random: () => 1, ...time });
  // waits 1 s, 2 s, 4 s; the next 8 s wait would pass the 10 s deadline
  expect(result).toMatchObject({ ok: false, reason: 'deadline', attempts: 4 });
  expect(time.sleeps).toEqual([1000, 2000, 4000]);
  expect(server.received).toHaveLength(4);
});

test('deadline exceeded on a dead port (real clock)', async () => {
  const url = await deadUrl();
  const started = Date.now();
  const result = await deliver(url, PAYLOAD, { deadlineMs: 300, baseDelayMs: 10, maxDelayMs: 50 });
  expect(result).toMatchObject({ ok: false, reason: 'deadline' });
  expect(result.attempts).toBeGreaterThan(1);
  expect(Date.now() - started).toBeLessThan(2000);
  if (!result.ok) expect(result.message).toMatch(/ECONNREFUSED|fetch failed/);
});

test('a server that never answers is cut off by the attempt timeout', async () => {
  server = await scriptedServer([{ status: 200, hang: true }]);
  const started = Date.now();
  const result = await deliver(server.url, PAYLOAD, { deadlineMs: 400, attemptTimeoutMs: 100, baseDelayMs: 10, maxDelayMs: 20 });
  expect(result).toMatchObject({ ok: false, reason: 'deadline' });
  expect(Date.now() - started).toBeLessThan(2000);
});

test('credentials in the URL never reach the log', async () => {
  server = await scriptedServer([{ status: 200, body: {} }]);
  const log = captureLogger();
  const url = server.url.replace('http://', 'http://agent:s3cret@') + '?token=abc';
  const result = await deliver(url, PAYLOAD, { deadlineMs: 5000, log });
  expect(result.ok).toBe(true);
  expect(log.text()).not.toMatch(/s3cret|abc/);
  expect(server.received[0].headers.authorization).toBe(`Basic ${Buffer.from('agent:s3cret').toString('base64')}`);
});

test('helpers', () => {
  expect(serverMessage('{"error":{"message":"nope"}}')).toBe('nope');
  expect(serverMessage('{"error":"flat"}')).toBe('flat');
  expect(serverMessage('plain text')).toBe('plain text');
  expect(serverMessage('')).toBe('(empty response body)');
  expect(parseRetryAfter('5', 0)).toBe(5000);
  expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).toBe(6000);
  expect(parseRetryAfter('whenever', 0)).toBeNull();
  expect(parseRetryAfter(null, 0)).toBeNull();
});

test('the agent token goes in X-Agent-Token on every attempt, never in the body or the log', async () => {
  const token = 'vfVLIs3WHyW8zfvDxJgRPR4RTjnxHxEia8vNrm9R1BA';
  server = await scriptedServer([{ status: 503 }, { status: 200, body: {} }]);
  const log = captureLogger();
  const result = await deliver(server.url, PAYLOAD, { deadlineMs: 60_000, agentToken: token, log, ...fakeTime() });
  expect(result.ok).toBe(true);
  expect(server.received.map((r) => r.headers['x-agent-token'])).toEqual([token, token]);
  expect(server.received[0].body).not.toContain(token);
  expect(log.text()).not.toContain(token);
});
