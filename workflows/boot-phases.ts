import { setHandler } from '@temporalio/workflow';
import { describeLastPhase, REPORTED_PHASES, type BootPhase } from '../common/boot-phases';
import { bootPhaseSignal, type IntrospectionStatus } from './definitions';
import { showDetail } from './status';

/** "waiting for agent, boot attempt 1/2: iPXE script fetched at <time>": where the UI and the API show how far the boot got. */
export const waitingDetail = (status: IntrospectionStatus) =>
  `waiting for agent, boot attempt ${status.bootAttempt}/${status.bootAttempts}: ${describeLastPhase(status.bootPhases)}`;

/** Records a phase of the current boot attempt when it is first reached. */
export function reachPhase(status: IntrospectionStatus, phase: BootPhase, at: string): void {
  status.bootPhases[phase] ??= at;
}

/**
 * Takes the API's reports of how far the node's boot got (its fetches from the boot service, its
 * agent's start) while the run boots it and waits for its data. A signal cannot be refused: one
 * for no boot in progress, or malformed, is dropped.
 */
export function acceptBootPhases(status: IntrospectionStatus): void {
  setHandler(bootPhaseSignal, ({ phase, at }) => {
    if (status.state !== 'waiting' || status.bootPhases.data_delivered) return;
    if (!(REPORTED_PHASES as readonly string[]).includes(phase) || Number.isNaN(Date.parse(at))) return;
    reachPhase(status, phase, at);
    // Before the power-on is confirmed the detail still says the run is powering the node on.
    if (status.bootPhases.powered_on) showDetail(status, waitingDetail(status));
  });
}
