import { reportStarted, startedUrl } from '../../agent/started';
import { captureLogger } from './helpers';
import { deadUrl, scriptedServer } from './server';

// The agent's start report: one short try, never an error.

test('next to the callback, whatever its form', () => {
  expect(startedUrl('http://10.0.0.1:5050/v1/continue')).toBe('http://10.0.0.1:5050/v1/continue/started');
  expect(startedUrl('https://u:p@inspector.example/v1/continue/')).toBe('https://u:p@inspector.example/v1/continue/started');
});

test('posts the token, no body; a refusal or no server is only logged', async () => {
  const server = await scriptedServer([{ status: 202, body: {} }, { status: 403, body: { error: { message: 'no run' } } }]);
  try {
    const log = captureLogger();
    await reportStarted(server.url, 'tok', { log });
    expect(server.received[0]).toMatchObject({ method: 'POST', url: '/v1/continue/started', body: '', headers: { 'x-agent-token': 'tok' } });
    await reportStarted(server.url, 'tok', { log });
    await reportStarted(await deadUrl(), 'tok', { log });
    expect(log.lines.map((l) => l.message)).toEqual(['reported started', 'the start report was not taken; going on', 'could not report the start; going on']);
  } finally {
    await server.close();
  }
});

test('an inspector that does not answer is given up on after the timeout', async () => {
  const server = await scriptedServer([{ status: 200, hang: true }]);
  try {
    const log = captureLogger();
    const started = Date.now();
    await reportStarted(server.url, 'tok', { log, timeoutMs: 200 });
    expect(Date.now() - started).toBeLessThan(2000);
    expect(log.lines[0].message).toBe('could not report the start; going on');
  } finally {
    await server.close();
  }
});
