// Credentials for both APIs: from the environment, from npm start's admin password file, or
// typed at a prompt after a 401; clear messages for 401 and 403; never a password on argv.

import { EventEmitter } from 'node:events';
import { promises as fs } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { InterruptedError } from '../../cli/http';
import { basicAuthorization } from '../../cli/credentials';
import { readTerminalLine } from '../../cli/prompt';
import { ADMIN, type FakeApi, fakeApi, harness, READER } from './helpers';

const NODES = { nodes: [{ uuid: 'u-1', name: 'rack1-u01', provision_state: 'manageable', properties: {} }] };
const NO_CREDENTIALS = { INTROSPECTOR_USERNAME: undefined, INTROSPECTOR_PASSWORD: undefined };
const basic = (username: string, password: string) => basicAuthorization({ username, password });

let api: FakeApi;
beforeEach(async () => {
  api = await fakeApi({
    'GET /v1/nodes': () => ({ body: NODES }),
    'GET /v1/rules': () => ({ body: { rules: [] } }),
    'POST /v1/nodes': (req) => ({ status: 201, body: { uuid: 'u-9', ...(req.body as object) } }),
    'POST /v1/ports': (req) => ({ status: 201, body: { uuid: 'p-1', ...(req.body as object) } }),
  });
});
afterEach(() => api.close());

const output = (h: ReturnType<typeof harness>) => h.stdout.text + h.stderr.text;

test('INTROSPECTOR_USERNAME/INTROSPECTOR_PASSWORD go to both APIs as HTTP basic', async () => {
  const h = harness({ api, env: { INTROSPECTOR_USERNAME: READER.username, INTROSPECTOR_PASSWORD: READER.password } });
  expect(await h.run('node', 'list')).toBe(0);
  expect(await h.run('rule', 'list')).toBe(0);
  expect(api.requests.map((r) => r.headers.authorization)).toEqual([
    basic(READER.username, READER.password),
    basic(READER.username, READER.password),
  ]);
  expect(output(h)).not.toContain(READER.password);
});

describe("npm start's admin password file", () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await fs.mkdtemp(path.join(os.tmpdir(), 'cli-data-'));
    await fs.writeFile(path.join(dataDir, 'admin-password'), `${ADMIN.password}\n`, { mode: 0o600 });
  });
  afterEach(() => fs.rm(dataDir, { recursive: true, force: true }));

  test('used as admin when the environment names no user', async () => {
    const h = harness({ api, env: { ...NO_CREDENTIALS, INTROSPECTOR_DATA_DIR: dataDir } });
    expect(await h.run('node', 'list')).toBe(0);
    expect(api.requests[0].headers.authorization).toBe(basic('admin', ADMIN.password));
  });

  test('the environment wins over the file', async () => {
    const h = harness({ api, env: { INTROSPECTOR_USERNAME: READER.username, INTROSPECTOR_PASSWORD: READER.password, INTROSPECTOR_DATA_DIR: dataDir } });
    expect(await h.run('node', 'list')).toBe(0);
    expect(api.requests[0].headers.authorization).toBe(basic(READER.username, READER.password));
  });

  test('a refused password names the file it came from', async () => {
    await fs.writeFile(path.join(dataDir, 'admin-password'), 'an-old-password\n');
    const h = harness({ api, env: { ...NO_CREDENTIALS, INTROSPECTOR_DATA_DIR: dataDir } });
    expect(await h.run('node', 'list')).toBe(1);
    expect(h.stderr.text).toContain(`the node API refused user "admin" (from ${path.join(dataDir, 'admin-password')})`);
    expect(output(h)).not.toContain('an-old-password');
  });
});

test('no credentials and no terminal: one request, a message naming the variables; exit 1', async () => {
  const h = harness({ api, env: NO_CREDENTIALS });
  expect(await h.run('node', 'list')).toBe(1);
  expect(api.requests).toHaveLength(1);
  expect(api.requests[0].headers.authorization).toBeUndefined();
  expect(h.stderr.text).toMatch(
    /^error: the node API requires a user and password: set INTROSPECTOR_USERNAME and INTROSPECTOR_PASSWORD \(npm start keeps the password of admin in .*admin-password\) \(HTTP 401\)\n$/,
  );
});

test('wrong credentials from the environment: exit 1, the password never shown', async () => {
  const h = harness({ api, env: { INTROSPECTOR_USERNAME: 'admin', INTROSPECTOR_PASSWORD: 'guess-again' } });
  expect(await h.run('rule', 'list')).toBe(1);
  expect(h.stderr.text).toContain(
    'error: the inspector API refused user "admin" (from INTROSPECTOR_USERNAME/INTROSPECTOR_PASSWORD): wrong user name or password',
  );
  expect(output(h)).not.toContain('guess-again');
});

test('only one of the two variables: exit 2 before any request', async () => {
  const h = harness({ api, env: { INTROSPECTOR_USERNAME: 'admin', INTROSPECTOR_PASSWORD: undefined } });
  expect(await h.run('node', 'list')).toBe(2);
  expect(h.stderr.text).toBe('error: INTROSPECTOR_PASSWORD is not set: set both INTROSPECTOR_USERNAME and INTROSPECTOR_PASSWORD\n');
  expect(api.requests).toHaveLength(0);
});

test('a reader writing: 403 says the user lacks the admin role', async () => {
  const h = harness({ api, env: { INTROSPECTOR_USERNAME: READER.username, INTROSPECTOR_PASSWORD: READER.password } });
  expect(await h.run('node', 'create', '--name', 'n1', '--ipmi-address', '10.0.0.1')).toBe(1);
  expect(h.stderr.text).toMatch(/^error: user "viewer" lacks the admin role needed for POST \/v1\/nodes on the node API \(POST needs the admin role\) \(HTTP 403\)\n$/);
});

describe('on a terminal, after a 401', () => {
  function prompter(answers: string[]) {
    const questions: { question: string; echo: boolean }[] = [];
    return {
      questions,
      prompt: async (question: string, echo: boolean) => {
        questions.push({ question, echo });
        return answers.shift() ?? '';
      },
    };
  }

  test('asks once (the password without echo), retries, and keeps the answer for the next requests', async () => {
    const p = prompter([ADMIN.username, ADMIN.password]);
    const h = harness({ api, env: NO_CREDENTIALS, prompt: p.prompt });
    expect(await h.run('node', 'create', '--name', 'n1', '--ipmi-address', '10.0.0.1', '--mac', '52:54:00:00:00:01')).toBe(0);
    expect(p.questions).toEqual([
      { question: 'User name: ', echo: true },
      { question: 'Password: ', echo: false },
    ]);
    expect(api.requests.map((r) => [r.method, r.path, r.headers.authorization])).toEqual([
      ['POST', '/v1/nodes', undefined],
      ['POST', '/v1/nodes', basic(ADMIN.username, ADMIN.password)],
      ['POST', '/v1/ports', basic(ADMIN.username, ADMIN.password)],
    ]);
    expect(api.calls('POST /v1/nodes')[1].body).toMatchObject({ name: 'n1', driver_info: { ipmi_address: '10.0.0.1' } });
    expect(h.stderr.text).toBe(`The node API at ${api.url} asks for a user name and password.\n`);
    expect(output(h)).not.toContain(ADMIN.password);
  });

  test('wrong answer: not asked again; the message says where the credentials came from', async () => {
    const p = prompter(['admin', 'typo']);
    const h = harness({ api, env: NO_CREDENTIALS, prompt: p.prompt });
    expect(await h.run('node', 'list')).toBe(1);
    expect(p.questions).toHaveLength(2);
    expect(api.requests).toHaveLength(2);
    expect(h.stderr.text).toContain('the node API refused user "admin" (from the prompt)');
    expect(output(h)).not.toContain('typo');
  });

  test('credentials that work are not replaced by a prompt', async () => {
    const p = prompter([]);
    const h = harness({ api, prompt: p.prompt });
    expect(await h.run('node', 'list')).toBe(0);
    expect(p.questions).toHaveLength(0);
  });
});

test('there is no --password flag: exit 2, the value is not echoed, nothing is sent', async () => {
  const h = harness({ api });
  expect(await h.run('--password', 'hunter2-x', 'node', 'list')).toBe(2);
  expect(h.stderr.text).toContain('--password is not accepted');
  expect(h.stderr.text).toContain('INTROSPECTOR_PASSWORD');
  expect(output(h)).not.toContain('hunter2-x');
  const after = harness({ api });
  expect(await after.run('node', 'list', '--password', 'hunter2-x')).toBe(2);
  expect(api.requests).toHaveLength(0);
  const help = harness();
  expect(await help.run('--help')).toBe(0);
  expect(help.stdout.text).not.toContain('--password');
  expect(help.stdout.text).toContain('INTROSPECTOR_USERNAME and INTROSPECTOR_PASSWORD');
});

describe('readTerminalLine', () => {
  class FakeTerminal extends EventEmitter {
    isTTY = true;
    raw: boolean[] = [];
    setRawMode(mode: boolean) {
      this.raw.push(mode);
    }
    setEncoding() {}
    resume() {}
    pause() {}
    type(text: string) {
      this.emit('data', text);
    }
  }
  const screen = () => {
    const out = { text: '', write: (s: string) => (out.text += s) };
    return out;
  };

  test('a password is not echoed; backspace edits; the terminal is restored', async () => {
    const input = new FakeTerminal();
    const out = screen();
    const line = readTerminalLine('Password: ', false, input, out);
    input.type('secrett\u007f');
    input.type('!\r');
    expect(await line).toBe('secret!');
    expect(out.text).toBe('Password: \n');
    expect(input.raw).toEqual([true, false]);
    expect(input.listenerCount('data')).toBe(0);
  });

  test('a user name is echoed', async () => {
    const input = new FakeTerminal();
    const out = screen();
    const line = readTerminalLine('User name: ', true, input, out);
    input.type('admin\n');
    expect(await line).toBe('admin');
    expect(out.text).toBe('User name: admin\n');
  });

  test('Ctrl-C interrupts', async () => {
    const input = new FakeTerminal();
    const line = readTerminalLine('Password: ', false, input, screen());
    input.type('abc\u0003');
    await expect(line).rejects.toBeInstanceOf(InterruptedError);
    expect(input.raw).toEqual([true, false]);
  });
});
