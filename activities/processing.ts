import { ApplicationFailure } from '@temporalio/common';
import { Context, log } from '@temporalio/activity';
import type { AcceptanceResult } from '../common/acceptance-result';
import { IntrospectionDataSchema, RamdiskErrorSchema } from '../common/inventory';
import { describeZodError } from '../common/validation';
import type { ActivityDeps } from './deps';
import { HookError, type HookContext, type HookNode } from './hooks/types';
import { runPipeline } from './hooks';
import { applyAllRules, storedInspectionRule } from './rules/ironic-apply';
import { parseRule, RuleValidationError } from './rules/schema';
import { classified } from './failures';
import { objectNames } from './storage';
import { keepInHistory, runIdOfActivity } from './history';
import { endInspection, type InBulk } from './node-state';

export interface ProcessingSummary {
  properties: Record<string, unknown>;
  ports: string[];
  matchedRules: string[];
}

/** A rule stored before today's limits may break them: name it, so an operator can fix or delete it. */
function storedRule(uuid: string, body: unknown) {
  try {
    return parseRule(body);
  } catch (err) {
    if (err instanceof RuleValidationError) throw new RuleValidationError(`stored rule ${uuid} is not valid any more (delete or re-import it): ${err.message}`, err.issues);
    throw err;
  }
}

/**
 * The accepted post becomes the node's raw data, and its logs the node's logs (none: the node's
 * earlier logs go). `logs` says whether the post had logs; unknown (a post delivered before the
 * API said so), the copy finds out.
 */
async function keepAccepted(deps: ActivityDeps, nodeUuid: string, accepted: string, logs: boolean | undefined): Promise<void> {
  if (!(await deps.store.copy(accepted, objectNames.unprocessed(nodeUuid)))) {
    // An earlier attempt of this step kept it and let it go (see letAcceptedGo): the node's raw data is that post.
    if (await deps.registry.history.ofRun(nodeUuid, runIdOfActivity())) return;
    throw ApplicationFailure.nonRetryable(`the accepted introspection data ${accepted} is not in the object store`, 'NoData');
  }
  const copied = logs !== false && (await deps.store.copy(objectNames.logsOf(accepted), objectNames.logs(nodeUuid)));
  if (!copied) await deps.store.delete(objectNames.logs(nodeUuid));
}

/** Once the post is the node's raw data and in its history, its own copy (and its logs') goes. */
async function letAcceptedGo(deps: ActivityDeps, accepted: string, logs: boolean | undefined): Promise<void> {
  await deps.store.delete(accepted);
  if (logs !== false) await deps.store.delete(objectNames.logsOf(accepted));
}

export function processingActivities(deps: ActivityDeps) {
  return {
    /**
     * Turns the stored raw data into node properties and ports: the hooks, then the rules,
     * then one write of the node and the processed data. Safe to run again (reapply).
     * `accepted` names the agent post the run accepted: it becomes the node's raw data (and its
     * logs the node's logs) first; without it, the raw data stored last is processed again.
     */
    processData: (nodeUuid: string, accepted?: string, logs?: boolean): Promise<ProcessingSummary> => classified(() => recorded(deps, nodeUuid, accepted, logs)),

    /**
     * processData of the post a run accepted, then the run's end as markInspectionDone records
     * it, in one step: for a run with nothing to do between them (no power-off). Safe to run again.
     */
    processDataAndFinish: (nodeUuid: string, accepted: string, logs: boolean | undefined, bulk?: InBulk): Promise<ProcessingSummary> =>
      classified(async () => {
        const summary = await recorded(deps, nodeUuid, accepted, logs);
        await endInspection(deps, nodeUuid, null, bulk);
        return summary;
      }),
  };
}

/**
 * processData, with the node's latest introspection moved on: processing an agent's post, or
 * a reapply (no post), which this activity begins and ends. A failed attempt of a reapply says
 * error until another attempt starts.
 */
async function recorded(deps: ActivityDeps, nodeUuid: string, accepted?: string, logs?: boolean): Promise<ProcessingSummary> {
  const { introspections } = deps.registry;
  if (accepted) await introspections.advance(nodeUuid, 'processing');
  else if (Context.current().info.attempt === 1) await introspections.begin(nodeUuid, 'reapplying');
  else await introspections.advance(nodeUuid, 'reapplying');
  if (accepted) return processData(deps, nodeUuid, accepted, logs);
  try {
    const summary = await processData(deps, nodeUuid);
    await introspections.end(nodeUuid, null);
    return summary;
  } catch (err) {
    await introspections.end(nodeUuid, err instanceof Error ? err.message : String(err));
    throw err;
  }
}

async function processData(deps: ActivityDeps, nodeUuid: string, accepted?: string, logs?: boolean): Promise<ProcessingSummary> {
  if (accepted) await keepAccepted(deps, nodeUuid, accepted, logs);
  const stored = await deps.store.readJson(objectNames.unprocessed(nodeUuid));
  if (stored === undefined) {
    throw ApplicationFailure.nonRetryable(`no raw introspection data stored for node ${nodeUuid}`, 'NoData');
  }
  const raw = stored.value;
  const parsed = IntrospectionDataSchema.safeParse(raw);
  if (!parsed.success) {
    const ramdisk = RamdiskErrorSchema.safeParse(raw);
    // No inventory to process: only the ramdisk_error hook has anything to say.
    if (ramdisk.success) throw ApplicationFailure.nonRetryable(`hook ramdisk_error: Ramdisk reported error: ${ramdisk.data.error}`, 'ProcessingError');
    throw ApplicationFailure.nonRetryable(`stored data is invalid: ${describeZodError(parsed.error)}`, 'InvalidData');
  }
  const record = await deps.registry.getNodeOrThrow(nodeUuid);
  const node: HookNode = {
    uuid: record.uuid,
    name: record.name,
    properties: record.properties,
    extra: record.extra,
    resource_class: record.resource_class,
    traits: record.traits,
    ports: (await deps.registry.listPorts(nodeUuid)).map((p) => ({
      address: p.address,
      pxe_enabled: p.pxe_enabled,
      local_link_connection: p.local_link_connection,
      physical_network: p.physical_network,
    })),
    // Read before this run replaces it: the hardware_changes hook compares with it.
    previousData: deps.processing.hookOrder.includes('hardware_changes') ? await deps.store.getJson(objectNames.processed(nodeUuid)) : undefined,
  };

  let ctx: HookContext;
  let matchedRules: string[];
  try {
    const { config, hookOrder } = deps.processing;
    const result = runPipeline(parsed.data, node, config, hookOrder);
    ctx = { ...result, node, config };
    const rules = (await deps.registry.listRules()).map((r) => storedRule(r.uuid, r.body));
    // Ironic's inspection rules (API 1.96) beside them, in priority order.
    const inspectionRules = (await deps.registry.inspectionRules.forPhase('main')).map(storedInspectionRule);
    matchedRules = applyAllRules(rules, inspectionRules, ctx, (level, message) => log[level](message, { nodeUuid }));
  } catch (err) {
    if (err instanceof HookError || err instanceof RuleValidationError) throw ApplicationFailure.nonRetryable(err.message, 'ProcessingError');
    throw err;
  }

  for (const [name, value] of Object.entries(ctx.objects)) await deps.store.putJson(name, value);
  const processed = await deps.store.putJson(objectNames.processed(nodeUuid), ctx.data);
  await deps.registry.applyPatch(nodeUuid, ctx.patch);
  await deps.registry.fleet.put(nodeUuid, ctx.data);
  if (ctx.data.acceptance) await deps.registry.acceptance.record(nodeUuid, ctx.data.acceptance as AcceptanceResult, deps.historyKeep);
  const history = await keepInHistory(deps, record, accepted, { unprocessedBytes: stored.bytes, processed });
  if (accepted) await letAcceptedGo(deps, accepted, logs);
  log.info('introspection data processed and kept in history', { nodeUuid, properties: Object.keys(ctx.patch.properties), ...history });
  return { properties: ctx.patch.properties, ports: ctx.patch.ports.map((p) => p.address), matchedRules };
}
