import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { MockActivityEnvironment } from '@temporalio/testing';
import { processingActivities, type ProcessingSummary } from '../../activities/processing';
import { processingSettings } from '../../activities/hooks/settings';
import { objectNames, type ObjectStore } from '../../activities/storage';
import { loadConfig } from '../../common/config';
import { objectStoreFor } from '../../common/services';
import { openRegistry, type NodeRegistry } from '../../nodes';
import { fakeAgentPayload } from '../../scripts/fake-agent';
import { startBackingServices, type Service } from '../../scripts/services';

// processData of an agent's accepted post, on a real versitygw (19669) and registry: the post
// becomes the node's raw data and a history entry, then its own copy goes (no object left per
// callback); an attempt run again after that (a retried activity) still succeeds on the node's
// raw data, while a post that never was stored fails as NoData.

const S3_PORT = 19669;
const MAC = '02:00:00:00:69:01';

let services: Service[] = [];
let store: ObjectStore;
let registry: NodeRegistry;
let activities: ReturnType<typeof processingActivities>;

beforeAll(async () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'introspector-processing-'));
  const config = loadConfig({ INTROSPECTOR_DATA_DIR: dataDir, S3_ENDPOINT: `http://127.0.0.1:${S3_PORT}` });
  services = await startBackingServices(config, { uiPort: 0, temporal: false, s3: true });
  store = objectStoreFor(config);
  await store.ensureBucket();
  registry = await openRegistry(`sqlite://${path.join(dataDir, 'nodes.sqlite')}`);
  activities = processingActivities({ registry, store, bmc: {} as never, processing: processingSettings(config), powerOffAfter: true, historyKeep: 20, pxeFilter: null });
}, 60000);

afterAll(async () => {
  store?.destroy();
  await registry?.close();
  for (const s of services.reverse()) await s.stop();
});

const runOf = (runId: string) => new MockActivityEnvironment({ workflowType: 'introspectNode', workflowExecution: { workflowId: 'introspection-test', runId } });

test('the accepted post becomes the raw data and a history entry, then goes; a retried attempt still succeeds', async () => {
  const node = await registry.createNode({ name: 'processing-1', driver: 'fake' });
  await registry.createPort({ node_uuid: node.uuid, address: MAC });
  await registry.introspections.begin(node.uuid, 'waiting');
  const accepted = objectNames.received(node.uuid, 'post-1');
  const posted = await store.putJson(accepted, fakeAgentPayload(MAC));
  const run = runOf('run-1');

  const summary = (await run.run(activities.processData, node.uuid, accepted, false)) as ProcessingSummary;
  expect(summary.properties).toMatchObject({ memory_mb: expect.any(Number), cpus: expect.any(Number) });
  expect(await store.readJson(accepted)).toBeUndefined();
  expect((await store.readJson(objectNames.unprocessed(node.uuid)))?.bytes).toBe(posted.bytes);
  expect(await registry.history.ofRun(node.uuid, 'run-1')).toMatchObject({ id: 1, unprocessed_bytes: posted.bytes });

  expect(await run.run(activities.processData, node.uuid, accepted, false)).toEqual(summary);
  expect((await registry.history.list(node.uuid, { limit: 10 })).map((e) => e.run_id)).toEqual(['run-1']);
});

test('a post that was never stored fails as NoData, naming it', async () => {
  const node = await registry.createNode({ name: 'processing-2', driver: 'fake' });
  await registry.introspections.begin(node.uuid, 'waiting');
  const missing = objectNames.received(node.uuid, 'never-stored');
  await expect(runOf('run-2').run(activities.processData, node.uuid, missing, false)).rejects.toMatchObject({
    type: 'NoData',
    message: `the accepted introspection data ${missing} is not in the object store`,
  });
});
