import { spawn } from 'node:child_process';
import { once } from 'node:events';
import path from 'node:path';
import { Context } from '@temporalio/activity';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, DefaultLogger, Runtime, Worker } from '@temporalio/worker';
import { BMC_ACTIVITY_NAMES, createActivities, type ActivityDeps } from '../../activities';
import { indexedValueTypes } from '../../common/search-attributes';
import { bmcTaskQueue } from '../../workflows/definitions';

// Time-skipping workflow tests: Temporal's Java test server (from Maven Central, see
// scripts/temporal-test-server.sh), the real workflows, and activities replaced by recorders.

const SETUP_SCRIPT = path.resolve(__dirname, '..', '..', 'scripts', 'temporal-test-server.sh');
/** A first setup downloads about 40 MB with Maven, and may apt-get install java and maven. */
export const SETUP_TIMEOUT_MS = 15 * 60_000;

/** The launcher of the test server, fetched into the per-user cache when missing (its progress on stderr). */
export async function testServerLauncher(): Promise<string> {
  const child = spawn('bash', [SETUP_SCRIPT], { stdio: ['ignore', 'pipe', 'inherit'], timeout: SETUP_TIMEOUT_MS });
  let stdout = '';
  child.stdout.on('data', (chunk: Buffer) => (stdout += chunk));
  const [code, signal] = (await once(child, 'close')) as [number | null, string | null];
  const launcher = stdout.trim().split('\n').pop();
  if (code !== 0 || !launcher) throw new Error(`${SETUP_SCRIPT} failed (${signal ?? `exit code ${code}`}): see its messages above`);
  return launcher;
}

/** The SDK gives the server 5 s to answer, which a JVM on a busy machine may miss (it takes 0.5 s idle). */
async function startServer(launcher: string, attempts = 3): Promise<TestWorkflowEnvironment> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: launcher } } });
    } catch (err) {
      if (attempt >= attempts) throw err;
    }
  }
}

/** A time-skipping environment with the workflows' search attributes registered. */
export async function createTimeSkippingEnv(): Promise<TestWorkflowEnvironment> {
  try {
    // ERROR: expected workflow failures log at WARN, and core warns on every worker start that
    // this server lacks a capability of recent servers.
    Runtime.install({ logger: new DefaultLogger('ERROR'), telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } } });
  } catch {
    // installed already (another test file in this process)
  }
  const launcher = await testServerLauncher();
  // Without a port the SDK picks a free one in the ephemeral range (32768+), clear of CI's e2e ports.
  const env = await startServer(launcher);
  try {
    await env.connection.operatorService.addSearchAttributes({ namespace: env.namespace ?? 'default', searchAttributes: indexedValueTypes() });
  } catch (err) {
    await env.teardown();
    throw err;
  }
  return env;
}

export interface ActivityCall {
  name: string;
  args: unknown[];
  taskQueue: string;
}
type ActivityFn = (...args: any[]) => Promise<unknown>;

/**
 * Every activity the workers register, as a recorder: each call is recorded, then runs the
 * test's override for that name, if any, else returns undefined. The names come from the real
 * activities, so an activity added to them is registered here too.
 */
export class MockActivities {
  readonly calls: ActivityCall[] = [];
  private overrides: Record<string, ActivityFn> = {};

  /** Clears the calls and sets this test's overrides. */
  reset(overrides: Record<string, ActivityFn> = {}): void {
    this.calls.length = 0;
    this.overrides = overrides;
  }

  /** Calls about one node (activities take the node's uuid first), optionally of some names only. */
  of(nodeUuid: string, ...names: string[]): ActivityCall[] {
    return this.calls.filter((c) => c.args[0] === nodeUuid && (!names.length || names.includes(c.name)));
  }

  names(nodeUuid: string): string[] {
    return this.of(nodeUuid).map((c) => c.name);
  }

  /** The recorders, split between the two task queues as worker/create-worker.ts splits the real ones. */
  recorders(bmc: boolean): Record<string, ActivityFn> {
    const bmcNames = new Set<string>(BMC_ACTIVITY_NAMES);
    // Only the names are used: the factories get empty deps, and none of the activities runs.
    const deps = { registry: {}, store: {}, bmc: {}, processing: {} } as unknown as ActivityDeps;
    const names = Object.keys(createActivities(deps)).filter((name) => bmcNames.has(name) === bmc);
    return Object.fromEntries(
      names.map((name) => [
        name,
        async (...args: unknown[]) => {
          this.calls.push({ name, args, taskQueue: Context.current().info.taskQueue });
          return this.overrides[name]?.(...args);
        },
      ]),
    );
  }
}

export interface TimeSkippingWorkers {
  shutdown(): Promise<void>;
}

/** The main and BMC workers on `taskQueue`, running the real workflows until shutdown(). */
export async function startWorkers(env: TestWorkflowEnvironment, taskQueue: string, mocks: MockActivities): Promise<TimeSkippingWorkers> {
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../workflows'),
    logger: new DefaultLogger('WARN'),
  });
  const common = { connection: env.nativeConnection, namespace: env.namespace ?? 'default' };
  const workers = [
    await Worker.create({ ...common, taskQueue, workflowBundle, activities: mocks.recorders(false) }),
    await Worker.create({ ...common, taskQueue: bmcTaskQueue(taskQueue), activities: mocks.recorders(true) }),
  ];
  const running = Promise.all(workers.map((w) => w.run()));
  return {
    shutdown: async () => {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
      await running;
    },
  };
}

/** Polls `check` (e.g. a workflow query) until it holds; for states the workflow reaches in real time. */
export async function until(check: () => Promise<boolean>, what: string, attempts = 500): Promise<void> {
  for (let i = 0; i < attempts; i++) {
    if (await check().catch(() => false)) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`timed out waiting until ${what}`);
}
