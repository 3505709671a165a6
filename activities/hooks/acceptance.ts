import type { AcceptanceResult } from '../../common/acceptance-result';
import { checkCabling, checkProfile } from './acceptance-check';
import { profileFor } from './acceptance-profiles';
import type { ProcessingHook } from './types';

/**
 * Checks the node against what was ordered: the most specific hardware profile matching it
 * (rack and resource class, then rack, then resource class) and its rows of the cabling plan.
 * The result goes to data.acceptance (the processing activity records it in the registry).
 * A node with neither a profile nor a planned cable is `not_checked`. Runs after lldp_basic.
 */
export const acceptanceHook: ProcessingHook = {
  name: 'acceptance',
  beforeUpdate(ctx) {
    const { profiles, cabling } = ctx.config.acceptance;
    const rack = typeof ctx.node.extra.rack === 'string' ? ctx.node.extra.rack : null;
    const profile = profileFor(profiles, { resource_class: ctx.node.resource_class ?? null, rack });
    const rows = cabling.filter((r) => r.node === ctx.node.uuid || (ctx.node.name !== null && r.node === ctx.node.name));
    const cables = checkCabling(rows, ctx);
    const differences = [...(profile ? checkProfile(profile, ctx.data) : []), ...cables.differences];
    const result: AcceptanceResult = {
      status: !profile && rows.length === 0 ? 'not_checked' : differences.length ? 'fail' : 'pass',
      profile: profile?.name ?? null,
      planned_ports: rows.length,
      rack,
      differences,
      miscabled: cables.miscabled,
    };
    ctx.data.acceptance = result;
  },
};
