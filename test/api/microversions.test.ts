import type { Request } from 'express';
import { formatVersion, parseVersion, requestedVersion, standardHeaderVersion, VersionRange } from '../../api/microversions';

// The one reading of OpenStack microversions both APIs use (node-versions.ts, inspector-routes.ts).

const request = (headers: Record<string, string>) => ({ get: (name: string) => headers[name.toLowerCase()] }) as unknown as Request;

test.each([
  ['1.96', { major: 1, minor: 96 }],
  [' 2.0 ', { major: 2, minor: 0 }],
  ['1.', undefined],
  ['1.2.3', undefined],
  ['v1.2', undefined],
  ['1.-2', undefined],
  ['', undefined],
])('parseVersion(%j)', (text, expected) => {
  expect(parseVersion(text)).toEqual(expected);
});

test('a range resolves latest to its maximum and refuses versions outside it', () => {
  const range = new VersionRange('1.0', '1.18');
  expect(range.resolve('LATEST')).toEqual({ version: { major: 1, minor: 18 } });
  expect(range.resolve('1.9')).toEqual({ version: { major: 1, minor: 9 } });
  expect(range.resolve('1.19')).toEqual({ unsupported: { major: 1, minor: 19 } });
  expect(range.resolve('0.9')).toEqual({ unsupported: { major: 0, minor: 9 } });
  expect(range.resolve('x')).toEqual({ malformed: true });
  expect(VersionRange.atLeast({ major: 1, minor: 84 }, '1.84')).toBe(true);
  expect(VersionRange.atLeast({ major: 1, minor: 83 }, '1.84')).toBe(false);
  expect(formatVersion({ major: 1, minor: 5 })).toBe('1.5');
});

test("the standard header names the service; the service's own header wins", () => {
  const both = request({ 'openstack-api-version': 'compute 2.1, Baremetal-Introspection 1.12', 'x-openstack-ironic-inspector-api-version': '1.3' });
  expect(standardHeaderVersion(both, 'baremetal-introspection')).toBe('1.12');
  expect(standardHeaderVersion(both, 'baremetal')).toBeUndefined();
  expect(requestedVersion(both, 'X-OpenStack-Ironic-Inspector-API-Version', 'baremetal-introspection')).toBe('1.3');
  expect(requestedVersion(request({ 'openstack-api-version': 'baremetal 1.81' }), 'X-OpenStack-Ironic-API-Version', 'baremetal')).toBe('1.81');
  expect(standardHeaderVersion(request({ 'openstack-api-version': 'baremetal 1.81 extra' }), 'baremetal')).toBeUndefined();
});
