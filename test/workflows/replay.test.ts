import fs from 'node:fs';
import path from 'node:path';
import * as proto from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker, type WorkflowBundleWithSourceMap } from '@temporalio/worker';

// Histories of real runs of the workflows as of commit 5cc8f55 (fake-driver nodes on the real
// stack; v2-: the per-boot PXE; v3-: runs told their boot phases by signals; v4-: bulk runs that
// carried their outcomes, one continued as new with its queue; v5-: bulk runs whose outcomes are
// in the registry, their nodes reporting their ends by signal; v7-: as of 632dfaf, with a run
// whose boot someone else manages; v8-: runs with nothing between processing and their end do
// both in one step): a workflow change that would break runs already in flight fails here with a
// DeterminismViolationError.

const dir = path.join(__dirname, '..', 'fixtures', 'histories');
const files = fs.readdirSync(dir).filter((f) => f.endsWith('.json')).sort();

// Not the SDK's historyFromJSON (what runReplayHistory applies to JSON): it fails with "type must
// be a Type" when npm nests separate protobufjs copies under @temporalio/common and
// @temporalio/proto, as it does here. This parses with @temporalio/proto's own copy.
const protojson = require(require.resolve('protobufjs/ext/protojson', { paths: [path.dirname(require.resolve('@temporalio/proto'))] })) as {
  fromJson(type: unknown, json: unknown, options: { ignoreUnknownFields: boolean }): proto.temporal.api.history.v1.IHistory;
};
const historyType = (patchProtobufRoot(proto) as any).lookupType('temporal.api.history.v1.History');
const load = (file: string) => protojson.fromJson(historyType, JSON.parse(fs.readFileSync(path.join(dir, file), 'utf8')), { ignoreUnknownFields: true });

let workflowBundle: WorkflowBundleWithSourceMap;
beforeAll(async () => {
  const logger = new DefaultLogger('WARN');
  try {
    Runtime.install({ logger });
  } catch {
    // installed already (another test file in this process)
  }
  workflowBundle = await bundleWorkflowCode({ workflowsPath: require.resolve('../../workflows'), logger });
});

test('there are histories to replay', () => {
  expect(files.length).toBeGreaterThan(0);
});

test.each(files)('%s replays on the current workflows', async (file) => {
  await Worker.runReplayHistory({ workflowBundle }, load(file), path.basename(file, '.json'));
});
