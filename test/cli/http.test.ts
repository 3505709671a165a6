import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Auth } from '../../cli/auth';
import { ApiClient, ApiError, InterruptedError, extractErrorMessage } from '../../cli/http';
import { ADMIN_ENV, type FakeApi, fakeApi, inspectorError, ironicError } from './helpers';

describe('extractErrorMessage', () => {
  test('inspector API shape', () => {
    expect(extractErrorMessage(404, 'Not Found', JSON.stringify({ error: { message: 'Node x not found' } }))).toBe(
      'Node x not found',
    );
  });

  test("node API (Ironic) shape: JSON inside a JSON string", () => {
    const body = JSON.stringify({ error_message: JSON.stringify({ faultstring: 'Node x could not be found.', debuginfo: null }) });
    expect(extractErrorMessage(404, 'Not Found', body)).toBe('Node x could not be found.');
  });

  test('Ironic shape with the inner document already an object, or a plain string', () => {
    expect(extractErrorMessage(400, '', JSON.stringify({ error_message: { faultstring: 'bad' } }))).toBe('bad');
    expect(extractErrorMessage(400, '', JSON.stringify({ error_message: 'plain words' }))).toBe('plain words');
  });

  test('other shapes: message, short text; HTML and unknown JSON fall back to the status', () => {
    expect(extractErrorMessage(400, '', JSON.stringify({ message: 'm' }))).toBe('m');
    expect(extractErrorMessage(502, 'Bad Gateway', 'upstream down')).toBe('upstream down');
    expect(extractErrorMessage(502, 'Bad Gateway', '<html><body>502</body></html>')).toBe('HTTP 502 Bad Gateway');
    expect(extractErrorMessage(500, 'Internal Server Error', '{"x":1}')).toBe('HTTP 500 Internal Server Error');
    expect(extractErrorMessage(500, '', '')).toBe('HTTP 500');
  });
});

describe('ApiClient against a local server', () => {
  let api: FakeApi;
  beforeAll(async () => {
    api = await fakeApi({
      'GET /v1/ok': () => ({ body: { a: 1 } }),
      'POST /v1/empty': () => ({ status: 202 }),
      'GET /v1/inspector-error': () => inspectorError(409, 'already running'),
      'GET /v1/ironic-error': () => ironicError(404, 'Node y could not be found.'),
      'GET /v1/not-json': () => ({ body: 'not json at all' }),
      'GET /v1/hang': () => ({ hang: true }),
      'GET /v1/nodes/:node': () => ({ body: {} }),
    });
  });
  afterAll(() => api.close());

  const client = (timeoutMs = 5000, base = api.url) =>
    new ApiClient(base + '/', { label: 'inspector API', hint: '--inspector-url or INTROSPECTOR_URL', timeoutMs, auth: new Auth(ADMIN_ENV) });

  test('JSON answer; query string without undefined values; JSON body with content type', async () => {
    expect(await client().get('/v1/ok', { query: { a: 'x y', b: undefined, limit: 5 } })).toEqual({ a: 1 });
    const req = api.requests.at(-1)!;
    expect(req.query).toEqual({ a: 'x y', limit: '5' });
    expect(req.headers.accept).toBe('application/json');
    await client().post('/v1/empty', { nodes: ['a'] });
    expect(api.requests.at(-1)!.body).toEqual({ nodes: ['a'] });
    expect(api.requests.at(-1)!.headers['content-type']).toBe('application/json');
  });

  test('an empty body is undefined', async () => {
    expect(await client().post('/v1/empty')).toBeUndefined();
  });

  test('errors carry the extracted message and the status', async () => {
    await expect(client().get('/v1/inspector-error')).rejects.toMatchObject({ message: 'already running', status: 409 });
    await expect(client().get('/v1/ironic-error')).rejects.toMatchObject({
      message: 'Node y could not be found.',
      status: 404,
    });
    const e = await client().get('/v1/inspector-error').catch((err: ApiError) => err);
    expect(e).toBeInstanceOf(ApiError);
    expect((e as ApiError).transient).toBe(false);
  });

  test('a 200 that is not JSON is an error', async () => {
    await expect(client().get('/v1/not-json')).rejects.toThrow(/not JSON/);
  });

  test('timeout: a clear message naming the request, transient', async () => {
    const e = (await client(200).get('/v1/hang').catch((err) => err)) as ApiError;
    expect(e).toBeInstanceOf(ApiError);
    expect(e.message).toMatch(/inspector API did not answer GET http:\/\/127\.0\.0\.1:\d+\/v1\/hang within 0\.2s/);
    expect(e.transient).toBe(true);
  });

  test("the caller's signal interrupts a request", async () => {
    const controller = new AbortController();
    const pending = client().get('/v1/hang', { signal: controller.signal });
    setTimeout(() => controller.abort(), 20);
    await expect(pending).rejects.toBeInstanceOf(InterruptedError);
  });

  test('connection refused: says which API, where, and how to point elsewhere', async () => {
    const server = http.createServer();
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    const e = (await client(2000, `http://127.0.0.1:${port}`)
      .get('/v1/ok')
      .catch((err) => err)) as ApiError;
    expect(e.message).toBe(
      `cannot reach the inspector API at http://127.0.0.1:${port}: connect ECONNREFUSED 127.0.0.1:${port} (set --inspector-url or INTROSPECTOR_URL)`,
    );
    expect(e.status).toBeUndefined();
  });

  test('the base URL may carry a path prefix', async () => {
    const c = new ApiClient(`${api.url}/v1/`, { label: 'x', hint: 'y', timeoutMs: 1000 });
    expect(c.url('/nodes/a%20b', { limit: 1 })).toBe(`${api.url}/v1/nodes/a%20b?limit=1`);
  });
});
