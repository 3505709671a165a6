import { allowedTargets, nextStep, PROVISION_STATES } from '../../nodes/provision-states';

const UUID = '0b6c3a4e-6a39-4a8e-9b0e-2f9d7c1f7d11';

describe('provision states', () => {
  test.each([
    ['enroll', 'manage', 'verifying', 'manageable'],
    ['verifying', 'manage', 'verifying', 'manageable'],
    ['manageable', 'inspect', 'inspecting', 'manageable'],
    ['inspect failed', 'inspect', 'inspecting', 'manageable'],
    ['inspect failed', 'manage', 'manageable', null],
    ['manageable', 'provide', 'available', null],
    ['available', 'manage', 'manageable', null],
  ] as const)('%s --%s--> %s (target %s)', (from, target, state, targetState) => {
    expect(nextStep(UUID, from, target)).toEqual({ provision_state: state, target_provision_state: targetState });
  });

  test.each([
    ['enroll', 'provide', 'manage'],
    ['enroll', 'inspect', 'manage'],
    ['manageable', 'manage', 'provide, inspect'],
    ['available', 'inspect', 'manage'],
    ['available', 'provide', 'manage'],
  ] as const)('%s refuses %s and names what is allowed (%s)', (from, target, allowed) => {
    expect(() => nextStep(UUID, from, target)).toThrow(
      `The requested action "${target}" can not be performed on node "${UUID}" while it is in state "${from}"; allowed actions from "${from}": ${allowed}`,
    );
  });

  test('inspecting allows nothing until it ends', () => {
    expect(allowedTargets('inspecting')).toEqual([]);
    expect(() => nextStep(UUID, 'inspecting', 'manage')).toThrow(/no action is allowed from "inspecting"/);
  });

  test('every state reaches manageable', () => {
    for (const state of PROVISION_STATES) {
      if (state === 'inspecting') continue;
      expect(allowedTargets(state).length).toBeGreaterThan(0);
    }
  });
});
