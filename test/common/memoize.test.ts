import { memoized } from '../../common/memoize';

test('builds once a key, and past 1000 keys drops the oldest first', () => {
  const built: string[] = [];
  const get = memoized((key) => {
    built.push(key);
    return { key };
  });
  const first = get('k0');
  expect(get('k0')).toBe(first);
  for (let i = 1; i < 1000; i++) get(`k${i}`);
  expect(get('k0')).toBe(first); // 1000 kept
  get('k1000'); // evicts k0
  expect(get('k1')).toBe(get('k1'));
  expect(built.filter((k) => k === 'k1')).toHaveLength(1);
  expect(get('k0')).not.toBe(first);
  expect(built.filter((k) => k === 'k0')).toHaveLength(2);
});
