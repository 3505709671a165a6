import { REDACTED, redactStrings, tokenRedactor } from '../../agent/redact';

const TOKEN = 'vfVLIs3WHyW8zfvDxJgRPR4RTjnxHxEia8vNrm9R1BA';

test('the command-line parameter is masked even when the token is not known', () => {
  const redact = tokenRedactor(null);
  expect(redact(`Kernel command line: BOOTIF=01-aa ipa-agent-token=${TOKEN} initrd=initramfs`)).toBe(
    `Kernel command line: BOOTIF=01-aa ipa-agent-token=${REDACTED} initrd=initramfs`,
  );
  expect(redact('no token here')).toBe('no token here');
});

test('a known token is masked wherever it appears', () => {
  const redact = tokenRedactor(TOKEN);
  expect(redact(`X-Agent-Token: ${TOKEN}\nagain ${TOKEN}`)).toBe(`X-Agent-Token: ${REDACTED}\nagain ${REDACTED}`);
});

test('every string of a JSON value, at any depth; the input is left alone', () => {
  const input = { a: [['system', 'kernel', 'cmdline', `ro ipa-agent-token=${TOKEN}`]], b: { c: TOKEN, n: 1, z: null } };
  const out = redactStrings(input, tokenRedactor(TOKEN));
  expect(out).toEqual({ a: [['system', 'kernel', 'cmdline', `ro ipa-agent-token=${REDACTED}`]], b: { c: REDACTED, n: 1, z: null } });
  expect(input.b.c).toBe(TOKEN);
});
