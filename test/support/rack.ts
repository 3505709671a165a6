import path from 'node:path';
import { driverFor, SimRack, type RackOptions, type SimNode } from '../../sim/rack';
import { http, startStack, type Stack } from './stack';

export interface StackWithRack {
  stack: Stack;
  rack: SimRack;
  stop(): Promise<void>;
}

/** The whole system plus a simulated rack whose agents call back to it; stop() tears down both. */
export async function startStackWithRack(
  basePort: number,
  env: Record<string, string>,
  rack: Omit<RackOptions, 'dir' | 'inspectorPort'>,
): Promise<StackWithRack> {
  const stack = await startStack(basePort, env);
  let started: SimRack;
  try {
    started = await SimRack.start({ ...rack, dir: path.join(stack.dataDir, 'rack'), inspectorPort: stack.api.callbackPort });
  } catch (err) {
    await stack.stop();
    throw err;
  }
  return {
    stack,
    rack: started,
    async stop() {
      await started.stop();
      await stack.stop();
    },
  };
}

/** Enrolls a simulated node (IPMI or Redfish) through the node API (optionally with its MAC as a port); returns its uuid. */
export async function enrollSimNode(
  stack: Stack,
  node: SimNode,
  options: { password?: string; extra?: Record<string, unknown>; port?: boolean } = {},
): Promise<string> {
  const created = await http('POST', `${stack.nodeUrl}/v1/nodes`, {
    name: node.name,
    ...driverFor(node, options.password),
    extra: options.extra ?? {},
  });
  if (created.status !== 201) throw new Error(`enrolling ${node.name}: ${created.status} ${JSON.stringify(created.body)}`);
  if (options.port) {
    const port = await http('POST', `${stack.nodeUrl}/v1/ports`, { node_uuid: created.body.uuid, address: node.mac });
    if (port.status !== 201) throw new Error(`port of ${node.name}: ${port.status} ${JSON.stringify(port.body)}`);
  }
  return created.body.uuid;
}
