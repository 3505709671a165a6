// `report --bulk ID` against a local server that plays the inspector API.

import { csvField, formatReportCsv } from '../../cli/commands/report';
import type { AcceptanceReport } from '../../common/acceptance-result';
import { type FakeApi, fakeApi, harness, inspectorError } from './helpers';

const ID = '0b9e7a4c-1111-4222-8333-444455556666';
const U1 = '00000000-0000-4000-8000-000000000001';
const U2 = '00000000-0000-4000-8000-000000000002';

const REPORT: AcceptanceReport = {
  bulk_id: ID,
  state: 'finished',
  racks: [
    {
      rack: 'r1',
      conforming: 3,
      not_conforming: 1,
      not_checked: 1,
      failed_introspection: 1,
      skipped: 0,
      in_progress: 0,
      non_conforming_nodes: [
        {
          uuid: U1,
          name: 'r1-u01',
          profile: 'gpu, "rev B"',
          differences: [
            { field: 'memory.mib', expected: '>= 262144', actual: '131072' },
            { field: 'nics[eth1].cabling', expected: 'leaf-1 Ethernet1/2', actual: '=cmd|x Ethernet1/9' },
          ],
        },
      ],
      failed_nodes: [{ uuid: U2, name: 'r1-u02', error: 'timeout: no agent called back' }],
      miscabled_ports: [{ uuid: U1, name: 'r1-u01', nic: 'eth1', expected_switch: 'leaf-1', expected_port: 'Ethernet1/2', seen_switch: '=cmd|x', seen_port: 'Ethernet1/9' }],
    },
    { rack: null, conforming: 2, not_conforming: 0, not_checked: 0, failed_introspection: 0, skipped: 1, in_progress: 0, non_conforming_nodes: [], failed_nodes: [], miscabled_ports: [] },
  ],
};

let api: FakeApi | undefined;
afterEach(async () => {
  await api?.close();
  api = undefined;
});

const reportApi = (report: AcceptanceReport) => fakeApi({ 'GET /v1/introspection/bulk/:id/report': () => ({ body: report }) });

test('a table per rack, then each difference, each miscabled port and each failed node; exit 1', async () => {
  api = await reportApi(REPORT);
  const h = harness({ api });
  expect(await h.run('report', '--bulk', ID)).toBe(1);
  expect(api.requests.map((r) => r.path)).toEqual([`/v1/introspection/bulk/${ID}/report`]);
  const out = h.stdout.text;
  expect(out).toContain(`Acceptance report of bulk introspection ${ID} (finished)`);
  expect(out).toMatch(/RACK\s+CONFORMING\s+NOT CONFORMING\s+NOT CHECKED\s+FAILED\s+SKIPPED\s+IN PROGRESS\nr1\s+3\s+1\s+1\s+1\s+0\s+0\n\(no rack\)\s+2\s+0\s+0\s+0\s+1\s+0\n/);
  expect(out).toMatch(/Not conforming \(2 differences\):\nRACK\s+NODE\s+PROFILE\s+FIELD\s+EXPECTED\s+ACTUAL\nr1\s+r1-u01\s+gpu, "rev B"\s+memory\.mib\s+>= 262144\s+131072\n/);
  expect(out).toMatch(/Miscabled ports \(1\):\nRACK\s+NODE\s+NIC\s+EXPECTED\s+SEEN\nr1\s+r1-u01\s+eth1\s+leaf-1 Ethernet1\/2\s+=cmd\|x Ethernet1\/9\n/);
  expect(out).toMatch(/Failed introspection \(1\):\nRACK\s+NODE\s+ERROR\nr1\s+r1-u02\s+timeout: no agent called back\n/);
});

test('exit 0 when every checked node conforms and none failed', async () => {
  api = await reportApi({ ...REPORT, racks: [REPORT.racks[1]] });
  const h = harness({ api });
  expect(await h.run('report', '--bulk', ID)).toBe(0);
  expect(h.stdout.text).not.toContain('Not conforming');
});

test('--json prints the report as the API answers it', async () => {
  api = await reportApi(REPORT);
  const h = harness({ api });
  expect(await h.run('--json', 'report', '--bulk', ID)).toBe(1);
  expect(JSON.parse(h.stdout.text)).toEqual(REPORT);
});

test('--csv: a header, one RFC 4180 row per difference, CRLF, formulas defused', async () => {
  api = await reportApi(REPORT);
  const h = harness({ api });
  expect(await h.run('report', '--bulk', ID, '--csv')).toBe(1);
  expect(h.stdout.text).toBe(
    'rack,node,uuid,profile,field,expected,actual\r\n' +
      `r1,r1-u01,${U1},"gpu, ""rev B""",memory.mib,>= 262144,131072\r\n` +
      `r1,r1-u01,${U1},"gpu, ""rev B""",nics[eth1].cabling,leaf-1 Ethernet1/2,'=cmd|x Ethernet1/9\r\n`,
  );
});

test('csv fields: quotes, commas and line breaks quoted; formula characters prefixed', () => {
  expect(csvField('plain')).toBe('plain');
  expect(csvField('a,b')).toBe('"a,b"');
  expect(csvField('say "hi"')).toBe('"say ""hi"""');
  expect(csvField('two\nlines')).toBe('"two\nlines"');
  expect(csvField('+1')).toBe("'+1");
  expect(csvField('@x,y')).toBe(`"'@x,y"`);
  expect(csvField(null)).toBe('');
  expect(formatReportCsv({ bulk_id: ID, state: 'finished', racks: [] })).toBe('rack,node,uuid,profile,field,expected,actual\r\n');
});

test('an unknown bulk: the API message, exit 1; no --bulk: usage, exit 2', async () => {
  api = await fakeApi({ 'GET /v1/introspection/bulk/:id/report': () => inspectorError(404, `Bulk introspection ${ID} not found`) });
  const h = harness({ api });
  expect(await h.run('report', '--bulk', ID)).toBe(1);
  expect(h.stderr.text).toContain(`Bulk introspection ${ID} not found (HTTP 404)`);
  expect(await harness({ api }).run('report')).toBe(2);
});
