import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import express from 'express';
import type { Server } from 'node:http';
import { bcryptEntry, ensureAdminUser, Htpasswd, parseHtpasswd } from '../../api/auth/htpasswd';
import { Authenticator, refuseBrowserWrites, requireAdmin } from '../../api/auth/middleware';
import { errorHandler } from '../../api/errors';
import { apiHost, loadConfig } from '../../common/config';
import { basicAuthorization } from '../../cli/credentials';

const tmp = () => fs.mkdtempSync(path.join(os.tmpdir(), 'introspector-auth-'));
const basic = (username: string, password: string) => basicAuthorization({ username, password });

describe('configuration', () => {
  test('http_basic is the default; noauth listens on loopback unless API_HOST says otherwise', () => {
    expect(loadConfig({}).AUTH_STRATEGY).toBe('http_basic');
    expect(apiHost(loadConfig({}))).toBe('0.0.0.0');
    expect(apiHost(loadConfig({ AUTH_STRATEGY: 'noauth' }))).toBe('127.0.0.1');
    expect(apiHost(loadConfig({ AUTH_STRATEGY: 'noauth', API_HOST: '10.0.0.1' }))).toBe('10.0.0.1');
    expect(() => loadConfig({ AUTH_STRATEGY: 'keystone' })).toThrow(/AUTH_STRATEGY/);
  });
});

describe('htpasswd', () => {
  test('bcrypt entries count; other hashes, comments and junk lines are ignored by line number', () => {
    const { users, skipped } = parseHtpasswd(`# people\n${bcryptEntry('alice', 'pw-alice')}\nbob:{SHA}xyz\nnot a line\n\ncarol:$apr1$abc\n`);
    expect([...users.keys()]).toEqual(['alice']);
    expect(skipped).toEqual([3, 4, 6]);
  });

  test('verifies passwords, and reads the file again when it changes', async () => {
    const file = path.join(tmp(), 'htpasswd');
    fs.writeFileSync(file, `${bcryptEntry('alice', 'first-password')}\n`);
    const htpasswd = new Htpasswd(file, () => undefined);
    expect(await htpasswd.verify('alice', 'first-password')).toBe(true);
    expect(await htpasswd.verify('alice', 'wrong')).toBe(false);
    expect(await htpasswd.verify('mallory', 'first-password')).toBe(false);
    fs.writeFileSync(file, `${bcryptEntry('alice', 'second-password')}\n# changed\n`);
    htpasswd.refresh();
    expect(await htpasswd.verify('alice', 'first-password')).toBe(false);
    expect(await htpasswd.verify('alice', 'second-password')).toBe(true);
  });

  test('admin is created on first start with a random password kept private; a given password replaces it', () => {
    const dir = tmp();
    const file = path.join(dir, 'htpasswd');
    const kept = path.join(dir, 'admin-password');
    const generated = ensureAdminUser(file, kept);
    expect(generated).toMatch(/^[A-Za-z0-9_-]{24}$/);
    expect(fs.readFileSync(kept, 'utf8')).toBe(`${generated}\n`);
    for (const f of [file, kept]) expect(fs.statSync(f).mode & 0o777).toBe(0o600);
    expect(ensureAdminUser(file, kept)).toBeUndefined(); // the second start changes nothing
    fs.appendFileSync(file, `${bcryptEntry('alice', 'pw-alice')}\n`);
    expect(ensureAdminUser(file, kept, 'chosen-password')).toBeUndefined();
    const users = parseHtpasswd(fs.readFileSync(file, 'utf8')).users;
    expect([...users.keys()].sort()).toEqual(['admin', 'alice']);
    expect(fs.readFileSync(kept, 'utf8')).toBe('chosen-password\n');
    expect(fs.readFileSync(file, 'utf8')).not.toContain('chosen-password');
  });
});

describe('the authentication middleware', () => {
  let server: Server;
  let url: string;
  let file: string;

  beforeAll(async () => {
    file = path.join(tmp(), 'htpasswd');
    fs.writeFileSync(file, [bcryptEntry('admin', 'admin-pw'), bcryptEntry('viewer', 'viewer-pw'), ''].join('\n'));
    const auth = new Authenticator(loadConfig({ HTPASSWD_FILE: file, AUTH_ADMIN_USERS: 'admin' }));
    const app = express();
    app.use(refuseBrowserWrites);
    app.get('/open', (_req, res) => res.json({ open: true }));
    app.use(auth.middleware());
    app.get('/thing', (_req, res) => res.json({ caller: res.locals.caller }));
    app.post('/thing', (_req, res) => res.status(201).json({}));
    app.get('/secret', requireAdmin, (_req, res) => res.json({}));
    app.use(errorHandler('inspector'));
    await new Promise<void>((resolve) => (server = app.listen(0, '127.0.0.1', () => resolve())));
    url = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  });
  afterAll(() => new Promise((resolve) => server.close(resolve)));

  const call = (method: string, p: string, headers: Record<string, string> = {}, body?: string) =>
    fetch(`${url}${p}`, { method, headers, body }).then(async (r) => ({ status: r.status, headers: r.headers, body: (await r.json()) as any }));

  test('routes before it stay open; after it, no or wrong credentials are 401 with a Basic challenge', async () => {
    expect((await call('GET', '/open')).status).toBe(200);
    for (const headers of [{} as Record<string, string>, { authorization: basic('admin', 'nope') }, { authorization: basic('ghost', 'admin-pw') }, { authorization: 'Bearer x' }, { authorization: `Basic ${'A'.repeat(2000)}` }]) {
      const res = await call('GET', '/thing', headers);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe('Basic realm="introspector", charset="UTF-8"');
    }
  });

  test('admins may write; readers may only read, and not what needs admin', async () => {
    const admin = { authorization: basic('admin', 'admin-pw') };
    const viewer = { authorization: basic('viewer', 'viewer-pw') };
    expect((await call('GET', '/thing', admin)).body.caller).toEqual({ user: 'admin', role: 'admin' });
    expect((await call('POST', '/thing', admin)).status).toBe(201);
    expect((await call('GET', '/thing', viewer)).body.caller).toEqual({ user: 'viewer', role: 'reader' });
    const write = await call('POST', '/thing', viewer);
    expect(write.status).toBe(403);
    expect(write.body.error.message).toMatch(/viewer has the reader role/);
    expect((await call('GET', '/secret', viewer)).status).toBe(403);
    expect((await call('GET', '/secret', admin)).status).toBe(200);
  });

  test('a password changed in the file stops working at once, cached or not', async () => {
    const before = { authorization: basic('viewer', 'viewer-pw') };
    expect((await call('GET', '/thing', before)).status).toBe(200);
    const text = fs.readFileSync(file, 'utf8').split('\n').filter((l) => !l.startsWith('viewer:'));
    fs.writeFileSync(file, [...text.filter(Boolean), bcryptEntry('viewer', 'new-viewer-pw'), ''].join('\n'));
    expect((await call('GET', '/thing', before)).status).toBe(401);
    expect((await call('GET', '/thing', { authorization: basic('viewer', 'new-viewer-pw') })).status).toBe(200);
  });

  test('writes from a web page or with a non-JSON body are refused before credentials are even read', async () => {
    expect((await call('POST', '/thing', { origin: 'http://evil.example' })).status).toBe(403);
    expect((await call('POST', '/thing', { 'sec-fetch-site': 'same-site' })).status).toBe(403);
    expect((await call('POST', '/thing', { 'content-type': 'text/plain' }, 'x=1')).status).toBe(415);
    expect((await call('GET', '/open', { origin: 'http://evil.example' })).status).toBe(200);
  });

  // last: it locks this client out for a minute
  test('a client that keeps guessing is told to wait, without a bcrypt run per guess', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 25; i++) statuses.push((await call('GET', '/thing', { authorization: basic('admin', `guess-${i}`) })).status);
    expect(statuses.filter((s) => s === 401).length).toBeLessThanOrEqual(20);
    const refused = await call('GET', '/thing', { authorization: basic('admin', 'admin-pw') });
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(refused.body.error.message).toMatch(/too many wrong credentials/);
  });
});
