import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { loadConfig } from '../../common/config';
import { createLogger } from '../../common/log';
import { followApiKey, temporalConnectionOptions } from '../../common/temporal';

// How the settings become the options of the client's and the worker's Temporal connections:
// TLS files read, TLS on when anything asks for it, the API key read from its file.

let dir: string;
const file = (name: string, content: string) => {
  const p = path.join(dir, name);
  fs.writeFileSync(p, content);
  return p;
};
const config = (env: Record<string, string>) => loadConfig({ TEMPORAL_ADDRESS: 'temporal.example:7233', ...env });

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'introspector-temporal-options-'));
});
afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

test('no TLS settings and no key: plaintext, as to the dev server', () => {
  expect(temporalConnectionOptions(config({}))).toEqual({ address: 'temporal.example:7233', tls: false });
});

test('a CA, a client certificate and a server name become the TLS options, files read', () => {
  const options = temporalConnectionOptions(
    config({
      TEMPORAL_TLS_CA_FILE: file('ca.pem', 'CA'),
      TEMPORAL_TLS_CERT_FILE: file('client.pem', 'CRT'),
      TEMPORAL_TLS_KEY_FILE: file('client.key', 'KEY'),
      TEMPORAL_TLS_SERVER_NAME: 'temporal.internal',
    }),
  );
  expect(options).toEqual({
    address: 'temporal.example:7233',
    tls: { serverRootCACertificate: Buffer.from('CA'), clientCertPair: { crt: Buffer.from('CRT'), key: Buffer.from('KEY') }, serverNameOverride: 'temporal.internal' },
  });
});

test('an API key is read from its file, trimmed, and turns TLS on with the system CAs', () => {
  const options = temporalConnectionOptions(config({ TEMPORAL_API_KEY_FILE: file('key', 'eyJhbGc.eyJzdWIi.c2ln\n') }));
  expect(options).toEqual({ address: 'temporal.example:7233', tls: {}, apiKey: 'eyJhbGc.eyJzdWIi.c2ln' });
});

test('TEMPORAL_TLS forces TLS on (system CAs) or off (a key over a local proxy)', () => {
  expect(temporalConnectionOptions(config({ TEMPORAL_TLS: 'true' })).tls).toEqual({});
  expect(temporalConnectionOptions(config({ TEMPORAL_TLS: 'false', TEMPORAL_API_KEY_FILE: file('key2', 'k') }))).toMatchObject({ tls: false, apiKey: 'k' });
});

test('bad settings are refused naming the setting', () => {
  expect(() => config({ TEMPORAL_TLS_CERT_FILE: '/etc/client.pem' })).toThrow(/TEMPORAL_TLS_KEY_FILE: a client certificate needs both/);
  expect(() => config({ TEMPORAL_TLS_KEY_FILE: '/etc/client.key' })).toThrow(/TEMPORAL_TLS_CERT_FILE: a client certificate needs both/);
  expect(() => config({ TEMPORAL_TLS: 'false', TEMPORAL_TLS_CA_FILE: '/etc/ca.pem' })).toThrow(/TEMPORAL_TLS: false, yet TEMPORAL_TLS_\* settings are given/);
  expect(() => config({ TEMPORAL_TLS: 'maybe' })).toThrow(/TEMPORAL_TLS/);
  expect(() => temporalConnectionOptions(config({ TEMPORAL_TLS_CA_FILE: path.join(dir, 'absent.pem') }))).toThrow(/^TEMPORAL_TLS_CA_FILE: cannot read .*absent\.pem \(ENOENT\)$/);
  expect(() => temporalConnectionOptions(config({ TEMPORAL_API_KEY_FILE: file('empty', '\n') }))).toThrow(/^TEMPORAL_API_KEY_FILE: .*empty is empty$/);
  expect(() => temporalConnectionOptions(config({ TEMPORAL_API_KEY_FILE: file('two', 'one\ntwo\n') }))).toThrow(/holds more than one word$/);
});

test('the key is never in the settings or the logs, only its file', () => {
  const key = 'eyJhbGc.secret-api-key.c2ln';
  const env = { TEMPORAL_API_KEY_FILE: file('logged', key) };
  expect(JSON.stringify(config(env))).not.toContain(key);
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(String(chunk));
      done();
    },
  });
  createLogger('worker', 'info', sink).info({ connection: temporalConnectionOptions(config(env)) }, 'connecting');
  expect(lines.join('')).toContain('"apiKey":"******"');
  expect(lines.join('')).not.toContain(key);
});

describe('followApiKey: a rotated key file reaches the connections', () => {
  const until = async (what: string, done: () => boolean) => {
    const deadline = Date.now() + 5000;
    while (!done()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  const rewrite = (p: string, content: string) => fs.writeFileSync(p, content);

  test('a new key is set on every connection once; a bad file keeps the key in use and says why once, without the key', async () => {
    const keyFile = file('rotating.key', 'key-one\n');
    const set: string[][] = [[], []];
    const connections = set.map((calls) => ({ setApiKey: (key: string) => void calls.push(key) }));
    const warnings: string[] = [];
    const stop = followApiKey(config({ TEMPORAL_API_KEY_FILE: keyFile }), connections, (m) => warnings.push(m), 20);
    try {
      rewrite(keyFile, 'key-two\n');
      await until('key-two', () => set.every((calls) => calls.length === 1));
      expect(set).toEqual([['key-two'], ['key-two']]);

      rewrite(keyFile, 'two words\n');
      await until('a warning', () => warnings.length === 1);
      expect(warnings[0]).toBe(`TEMPORAL_API_KEY_FILE: ${keyFile} holds more than one word: the API key in use is kept`);
      rewrite(keyFile, 'key-two\n'); // the same key again: nothing to set
      rewrite(keyFile, 'key-three\n');
      await until('key-three', () => set[0].length === 2);
      expect(set).toEqual([
        ['key-two', 'key-three'],
        ['key-two', 'key-three'],
      ]);
      expect(warnings).toHaveLength(1); // said once, though the bad file was read many times
      expect(warnings.join('')).not.toMatch(/key-(one|two|three)/);
    } finally {
      stop();
    }
    rewrite(keyFile, 'key-four\n');
    await new Promise((r) => setTimeout(r, 200));
    expect(set[0]).toEqual(['key-two', 'key-three']);
  });

  test('a connection that refuses the new key: warned, the others still get it', async () => {
    const keyFile = file('refused.key', 'key-one\n');
    const accepted: string[] = [];
    const warnings: string[] = [];
    const stop = followApiKey(
      config({ TEMPORAL_API_KEY_FILE: keyFile }),
      [{ setApiKey: async () => Promise.reject(new Error('connection closed')) }, { setApiKey: (key: string) => void accepted.push(key) }],
      (m) => warnings.push(m),
      20,
    );
    try {
      rewrite(keyFile, 'key-two\n');
      await until('both outcomes', () => accepted.length === 1 && warnings.length === 1);
      expect(warnings).toEqual(['TEMPORAL_API_KEY_FILE: the connection refused the new key (connection closed); the key in use is kept']);
    } finally {
      stop();
    }
  });

  test('without a key file there is nothing to follow', () => {
    const set: string[] = [];
    const stop = followApiKey(config({}), [{ setApiKey: (key: string) => void set.push(key) }], () => undefined, 20);
    stop();
    expect(set).toEqual([]);
  });
});
