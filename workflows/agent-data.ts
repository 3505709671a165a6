import { setHandler } from '@temporalio/workflow';
import { NOT_WAITING_YET } from '../common/api-types';
import { deliverDataUpdate, statusQuery, type AgentDelivery, type IntrospectionStatus } from './definitions';

/**
 * Answers the status query and takes the agent's data (the name of its stored post) through the
 * deliverData update: only while the run waits, and only once. Returns what was accepted so far.
 */
export function acceptAgentData(status: IntrospectionStatus): () => AgentDelivery | undefined {
  let accepted: AgentDelivery | undefined;
  setHandler(statusQuery, () => status);
  setHandler(
    deliverDataUpdate,
    ({ objectName, logs }) => {
      accepted = { objectName, logs };
      status.bootPhases.data_delivered = new Date().toISOString();
    },
    {
      validator: ({ objectName }) => {
        if (typeof objectName !== 'string' || !objectName) throw new Error('objectName: required');
        // A run about to power its node on takes the data in a moment: the agent tries again.
        if (status.state === 'starting') throw new Error(`the introspection is ${NOT_WAITING_YET}; try again shortly`);
        if (status.state !== 'waiting') throw new Error(`introspection is ${status.state}, not waiting for data`);
        if (accepted !== undefined) throw new Error('introspection has accepted its data already');
      },
    },
  );
  return () => accepted;
}
