import { isGrpcServiceError, type OperatorService, type WorkflowService } from '@temporalio/client';
import type { SearchAttributeType } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import { SEARCH_ATTRIBUTE_KEYS } from '../workflows/definitions';

// The workflows' search attributes exist in the namespace before anything starts a run: the dev
// server gets them as flags, any other cluster through its operator service at startup.

const IndexedValueType = temporal.api.enums.v1.IndexedValueType;
type IndexedValueType = temporal.api.enums.v1.IndexedValueType;
type Key = { name: string; type: SearchAttributeType };

/** gRPC status codes. */
const INVALID_ARGUMENT = 3;
const PERMISSION_DENIED = 7;

/** Name → type as the operator service takes them. */
export function indexedValueTypes(): Record<string, IndexedValueType> {
  return Object.fromEntries(SEARCH_ATTRIBUTE_KEYS.map((key) => [key.name, IndexedValueType[`INDEXED_VALUE_TYPE_${key.type}`]]));
}

/** `Name=Type` for `temporal server start-dev --search-attribute` (which reads the type ignoring case, as in KeywordList). */
export function devServerSearchAttributes(keys: readonly Key[] = SEARCH_ATTRIBUTE_KEYS): string[] {
  return keys.map((key) => `${key.name}=${key.type.replaceAll('_', '')}`);
}

/** The namespace lacks some of the search attributes and Temporal refused to add them (the caller is not its admin). */
export class SearchAttributesRefusedError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'SearchAttributesRefusedError';
  }
}

interface TemporalServices {
  operatorService: OperatorService;
  workflowService: WorkflowService;
}

/**
 * Adds those of the workflows' search attributes the namespace lacks, and waits until the
 * frontend accepts queries on all of them. Returns the names this call added.
 */
export async function ensureSearchAttributes(
  connection: TemporalServices,
  namespace: string,
  options: { timeoutMs?: number } = {},
): Promise<string[]> {
  const wanted = indexedValueTypes();
  let added: string[] = [];
  for (let attempt = 1; ; attempt++) {
    const { customAttributes } = await connection.operatorService.listSearchAttributes({ namespace });
    const clashing = Object.keys(wanted).filter((name) => customAttributes[name] !== undefined && customAttributes[name] !== wanted[name]);
    if (clashing.length) {
      const types = clashing.map((name) => IndexedValueType[wanted[name]]);
      throw new Error(`search attributes ${clashing.join(', ')} exist in namespace ${namespace} with another type than Introspector's (${types.join(', ')})`);
    }
    const missing = Object.keys(wanted).filter((name) => customAttributes[name] === undefined);
    if (!missing.length) break;
    try {
      await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: Object.fromEntries(missing.map((name) => [name, wanted[name]])) });
    } catch (err) {
      if (isGrpcServiceError(err) && err.code === PERMISSION_DENIED) {
        throw new SearchAttributesRefusedError(
          `search attributes ${missing.join(', ')} are missing in namespace ${namespace} and Temporal refused to add them (${err.details}): ` +
            'start Introspector once with an API key or client certificate that is admin of the namespace, or add them (type Keyword) with `temporal operator search-attribute create`',
        );
      }
      // Another process adding them at the same moment makes the server refuse one of the two: look again.
      if (attempt >= 3) throw err;
      continue;
    }
    added = missing;
    break;
  }
  // Present in the namespace may not yet be usable: a cluster's namespace cache catches up within seconds.
  await queryable(connection.workflowService, namespace, Object.keys(wanted), options.timeoutMs ?? 30_000);
  return added;
}

async function queryable(workflowService: WorkflowService, namespace: string, names: string[], timeoutMs: number): Promise<void> {
  const query = names.map((name) => `${name} = ''`).join(' AND ');
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      await workflowService.countWorkflowExecutions({ namespace, query });
      return;
    } catch (err) {
      if (!isGrpcServiceError(err) || err.code !== INVALID_ARGUMENT || Date.now() > deadline) throw err;
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}
