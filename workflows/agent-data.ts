import { setHandler } from '@temporalio/workflow';
import { deliverDataUpdate, statusQuery, type IntrospectionStatus } from './definitions';

/**
 * Answers the status query and takes the agent's data (the name of its stored post) through the
 * deliverData update: only while the run waits, and only once. Returns what was accepted so far.
 */
export function acceptAgentData(status: IntrospectionStatus): () => string | undefined {
  let accepted: string | undefined;
  setHandler(statusQuery, () => status);
  setHandler(
    deliverDataUpdate,
    ({ objectName }) => {
      accepted = objectName;
      status.bootPhases.data_delivered = new Date().toISOString();
    },
    {
      validator: ({ objectName }) => {
        if (typeof objectName !== 'string' || !objectName) throw new Error('objectName: required');
        if (status.state !== 'waiting') throw new Error(`introspection is ${status.state}, not waiting for data`);
        if (accepted !== undefined) throw new Error('introspection has accepted its data already');
      },
    },
  );
  return () => accepted;
}
