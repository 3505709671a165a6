import { temporal } from '@temporalio/proto';
import { devServerSearchAttributes, ensureSearchAttributes, indexedValueTypes, SearchAttributesRefusedError } from '../../common/search-attributes';
import { SEARCH_ATTRIBUTE_KEYS } from '../../workflows/definitions';

// Registering the workflows' search attributes, against a fake operator service (the real
// cluster's: test/e2e/temporal-cluster.test.ts).

const { INDEXED_VALUE_TYPE_KEYWORD: KEYWORD, INDEXED_VALUE_TYPE_TEXT: TEXT } = temporal.api.enums.v1.IndexedValueType;

/** A gRPC error as the client raises it. */
const grpcError = (code: number, details: string) => Object.assign(new Error(details), { code, details, metadata: {} });

function fakeCluster(custom: Record<string, number>, behaviour: { refuse?: boolean; raceOnce?: boolean; unqueryableFor?: number } = {}) {
  const calls = { add: [] as Record<string, number>[], count: [] as string[] };
  let races = behaviour.raceOnce ? 1 : 0;
  let unqueryable = behaviour.unqueryableFor ?? 0;
  const services = {
    operatorService: {
      listSearchAttributes: async () => ({ customAttributes: { ...custom }, systemAttributes: { WorkflowId: KEYWORD } }),
      addSearchAttributes: async ({ searchAttributes }: { searchAttributes: Record<string, number> }) => {
        if (behaviour.refuse) throw grpcError(7, 'Request unauthorized.');
        calls.add.push(searchAttributes);
        Object.assign(custom, searchAttributes);
        if (races-- > 0) throw grpcError(14, 'Generated search attributes mapping unavailable.');
        return {};
      },
    },
    workflowService: {
      countWorkflowExecutions: async ({ query }: { query: string }) => {
        calls.count.push(query);
        if (unqueryable-- > 0) throw grpcError(3, 'invalid query: IntrospectionNode is not defined');
        return { count: 0 };
      },
    },
  };
  return { services: services as unknown as Parameters<typeof ensureSearchAttributes>[0], calls, custom };
}

const ALL = SEARCH_ATTRIBUTE_KEYS.map((key) => key.name);

test('the missing ones are added, as Keyword, and waited for until queries accept them', async () => {
  const cluster = fakeCluster({ IntrospectionState: KEYWORD, CustomerTag: TEXT }, { unqueryableFor: 2 });
  expect(await ensureSearchAttributes(cluster.services, 'ns', { timeoutMs: 5000 })).toEqual(ALL.filter((n) => n !== 'IntrospectionState'));
  expect(cluster.calls.add).toEqual([{ IntrospectionNode: KEYWORD, IntrospectionNodeName: KEYWORD, IntrospectionBulk: KEYWORD }]);
  expect(cluster.calls.count).toHaveLength(3);
  expect(cluster.calls.count[2]).toBe(ALL.map((n) => `${n} = ''`).join(' AND '));
});

test('all present: nothing added', async () => {
  const cluster = fakeCluster(indexedValueTypes());
  expect(await ensureSearchAttributes(cluster.services, 'ns')).toEqual([]);
  expect(cluster.calls.add).toEqual([]);
});

test('another process adding them at the same moment: looked at again, not an error', async () => {
  const cluster = fakeCluster({}, { raceOnce: true });
  expect(await ensureSearchAttributes(cluster.services, 'ns')).toEqual([]);
  expect(cluster.calls.add).toHaveLength(1);
});

test('a caller that may not add them gets a SearchAttributesRefusedError saying what to do', async () => {
  const refused = ensureSearchAttributes(fakeCluster({ IntrospectionNode: KEYWORD }, { refuse: true }).services, 'prod');
  await expect(refused).rejects.toBeInstanceOf(SearchAttributesRefusedError);
  await expect(refused).rejects.toThrow(/IntrospectionState, IntrospectionNodeName, IntrospectionBulk are missing in namespace prod .*Request unauthorized.*admin of the namespace/);
});

test('a name already taken with another type is an error, not overwritten', async () => {
  const cluster = fakeCluster({ IntrospectionBulk: TEXT });
  await expect(ensureSearchAttributes(cluster.services, 'ns')).rejects.toThrow(/IntrospectionBulk exist in namespace ns with another type than Introspector's \(INDEXED_VALUE_TYPE_KEYWORD\)/);
  expect(cluster.calls.add).toEqual([]);
});

test('the dev server gets the same list as flags', () => {
  expect(devServerSearchAttributes()).toEqual(ALL.map((n) => `${n}=KEYWORD`));
  expect(devServerSearchAttributes([{ name: 'Tags', type: 'KEYWORD_LIST' }])).toEqual(['Tags=KEYWORDLIST']);
});
