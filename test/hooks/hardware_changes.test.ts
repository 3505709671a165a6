import { DEFAULT_HOOK_ORDER, DEFAULT_PROCESSING_CONFIG, HOOKS, runPipeline } from '../../activities/hooks';
import { hardwareChangesHook } from '../../activities/hooks/hardware_changes';
import { HookError, type HookContext } from '../../activities/hooks/types';
import { applyAllRules } from '../../activities/rules/ironic-apply';
import { parseInspectionRule } from '../../activities/rules/ironic-schema';
import { parseRule } from '../../activities/rules/schema';
import type { HardwareChangeSummary } from '../../common/hardware-diff';
import { loadPayload, makeCtx, makeNode } from './helpers';

// The hook compares the data being processed with the node's previously processed data
// (node.previousData) and leaves the summary in data.hardware_changes, where rules read it.

const changes = (ctx: HookContext) => ctx.data.hardware_changes as HardwareChangeSummary;
/** The payload processed by the default hooks, as stored in inspector_data-<uuid>. */
const processed = () => runPipeline(loadPayload(), makeNode(), DEFAULT_PROCESSING_CONFIG).data;

function replacedSdb() {
  const data = loadPayload();
  Object.assign(data.inventory.disks[1], { serial: 'Z1Z2Z3', wwn: null, wwn_with_extension: null });
  return data;
}

const v1Rule = parseRule({
  description: 'disk replaced',
  conditions: [{ op: 'gt', field: 'data://hardware_changes.disks.replaced', value: 0 }],
  actions: [{ action: 'fail', message: 'a disk was replaced' }],
});
const inspectionRule = {
  ...parseInspectionRule({
    description: 'disk replaced',
    conditions: [{ op: 'gt', args: { values: ['{plugin_data[hardware_changes][disks][replaced]}', 0] } }],
    actions: [{ op: 'fail', args: { msg: 'a disk was replaced' } }],
  }),
  uuid: '6f1a6c2e-2f38-4a44-9c61-7f5a0f0e0a01',
};

describe('hardware_changes hook', () => {
  test('registered and run by default', () => {
    expect(HOOKS.hardware_changes).toBe(hardwareChangesHook);
    expect(DEFAULT_HOOK_ORDER).toContain('hardware_changes');
    const data = runPipeline(replacedSdb(), makeNode({ previousData: processed() }), DEFAULT_PROCESSING_CONFIG).data;
    expect(data.hardware_changes).toMatchObject({ changed: true, total: 1, disks: { replaced: 1 }, text: 'disk sdb serial W470ABCD->Z1Z2Z3 replaced' });
  });

  test('first introspection: nothing to compare, nothing changed', () => {
    const ctx = makeCtx(loadPayload());
    hardwareChangesHook.beforeUpdate!(ctx);
    expect(changes(ctx)).toMatchObject({ changed: false, total: 0, text: 'no previous introspection to compare with', disks: { replaced: 0 } });
    expect(changes(ctx).unknown).toContain('disks');
  });

  test('the same hardware again: compared, no change', () => {
    const ctx = makeCtx(loadPayload(), { node: { previousData: processed() } });
    hardwareChangesHook.beforeUpdate!(ctx);
    expect(changes(ctx)).toMatchObject({ changed: false, text: 'no hardware change' });
    expect(changes(ctx).unknown).not.toContain('disks');
  });

  test("an ironic-inspector rule on data://hardware_changes.disks.replaced fails the node whose disk serial changed", () => {
    const ctx = makeCtx(replacedSdb(), { node: { previousData: processed() } });
    hardwareChangesHook.beforeUpdate!(ctx);
    expect(() => applyAllRules([v1Rule], [], ctx, () => undefined)).toThrow(new HookError('a disk was replaced'));

    const same = makeCtx(loadPayload(), { node: { previousData: processed() } });
    hardwareChangesHook.beforeUpdate!(same);
    expect(applyAllRules([v1Rule], [], same, () => undefined)).toEqual([]);
  });

  test('an Ironic inspection rule on plugin_data hardware_changes does the same', () => {
    const ctx = makeCtx(replacedSdb(), { node: { previousData: processed() } });
    hardwareChangesHook.beforeUpdate!(ctx);
    expect(() => applyAllRules([], [inspectionRule], ctx, () => undefined)).toThrow(/a disk was replaced$/);

    const first = makeCtx(replacedSdb());
    hardwareChangesHook.beforeUpdate!(first);
    expect(applyAllRules([], [inspectionRule], first, () => undefined)).toEqual([]);
  });
});
