import { Client, Connection } from '@temporalio/client';
import type { Config } from '../../common/config';

/** Every history the query lists, as text with payloads decoded: what to search for secrets. */
export async function historyTexts(config: Config, query: string): Promise<{ workflowId: string; text: string }[]> {
  const connection = await Connection.connect({ address: config.TEMPORAL_ADDRESS });
  try {
    const client = new Client({ connection });
    const out = [];
    for await (const execution of client.workflow.list({ query })) {
      const history = await client.workflow.getHandle(execution.workflowId, execution.runId).fetchHistory();
      out.push({ workflowId: execution.workflowId, text: JSON.stringify(history, (_k, v) => (v instanceof Uint8Array ? Buffer.from(v).toString('utf8') : v)) });
    }
    return out;
  } finally {
    await connection.close();
  }
}
