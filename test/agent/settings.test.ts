import { SettingsError, parseKernelCmdline, resolveSettings } from '../../agent/settings';

const CMDLINE =
  'BOOT_IMAGE=/vmlinuz root=/dev/ram0 ipa-inspection-callback-url=http://10.0.0.1:5050/v1/continue ' +
  'ipa-inspection-collectors=default,logs BOOTIF=01-52-54-00-AB-CD-EF quiet ipa-debug=1 note="a b"';

describe('kernel command line', () => {
  test('key=value pairs, flags without value ignored, quotes kept together', () => {
    expect(parseKernelCmdline(CMDLINE)).toEqual({
      BOOT_IMAGE: '/vmlinuz',
      root: '/dev/ram0',
      'ipa-inspection-callback-url': 'http://10.0.0.1:5050/v1/continue',
      'ipa-inspection-collectors': 'default,logs',
      BOOTIF: '01-52-54-00-AB-CD-EF',
      'ipa-debug': '1',
      note: 'a b',
    });
    expect(parseKernelCmdline('')).toEqual({});
    expect(parseKernelCmdline('a=1 a=2\n')).toEqual({ a: '2' });
  });
});

describe('precedence: flags > env > cmdline', () => {
  const env = {
    IPA_INSPECTION_CALLBACK_URL: 'http://env.example:5050/v1/continue',
    IPA_INSPECTION_COLLECTORS: 'default,pci-devices',
    INTROSPECTOR_AGENT_BMC_ADDRESS: '127.0.0.20',
  };

  test('cmdline only', () => {
    const s = resolveSettings({ flags: {}, env: {}, cmdline: CMDLINE });
    expect(s).toMatchObject({
      callbackUrl: 'http://10.0.0.1:5050/v1/continue',
      collectors: ['default', 'logs'],
      bmcAddress: null,
      bootif: '52:54:00:ab:cd:ef',
      deadlineSeconds: 300,
      dryRun: false,
      sources: { callbackUrl: 'cmdline', collectors: 'cmdline', bmcAddress: 'default', bootif: 'cmdline' },
    });
    expect(s.kernelParams['ipa-debug']).toBe('1');
  });

  test('env beats cmdline', () => {
    const s = resolveSettings({ flags: {}, env, cmdline: CMDLINE });
    expect(s).toMatchObject({
      callbackUrl: 'http://env.example:5050/v1/continue',
      collectors: ['default', 'pci-devices'],
      bmcAddress: '127.0.0.20',
      sources: { callbackUrl: 'env', collectors: 'env', bmcAddress: 'env' },
    });
  });

  test('flags beat env', () => {
    const s = resolveSettings({
      flags: {
        callbackUrl: 'https://flag.example/v1/continue',
        collectors: 'default, lldp ,numa-topology',
        bmcAddress: '127.0.0.30',
        bootif: 'aa:bb:cc:dd:ee:ff',
        deadline: '2.5',
      },
      env,
      cmdline: CMDLINE,
    });
    expect(s).toMatchObject({
      callbackUrl: 'https://flag.example/v1/continue',
      collectors: ['default', 'lldp', 'numa-topology'],
      bmcAddress: '127.0.0.30',
      bootif: 'aa:bb:cc:dd:ee:ff',
      deadlineSeconds: 2.5,
      sources: { callbackUrl: 'flag', collectors: 'flag', bmcAddress: 'flag', bootif: 'flag' },
    });
  });

  test('empty env values do not count', () => {
    const s = resolveSettings({ flags: {}, env: { IPA_INSPECTION_CALLBACK_URL: '' }, cmdline: CMDLINE });
    expect(s.sources.callbackUrl).toBe('cmdline');
  });

  test('defaults', () => {
    const s = resolveSettings({ flags: { dryRun: true }, env: {}, cmdline: '' });
    expect(s).toMatchObject({ callbackUrl: null, collectors: ['default'], bootif: null, dryRun: true, deadlineSeconds: 300 });
    expect(s.warnings).toEqual([]);
  });

  test('default collector is always added', () => {
    const s = resolveSettings({ flags: { dryRun: true, collectors: 'pci-devices' }, env: {}, cmdline: '' });
    expect(s.collectors).toEqual(['default', 'pci-devices']);
    expect(s.warnings[0]).toMatch(/default/);
  });

  test('bad BOOTIF on the cmdline is a warning, not an error', () => {
    const s = resolveSettings({ flags: { dryRun: true }, env: {}, cmdline: 'BOOTIF=garbage' });
    expect(s.bootif).toBeNull();
    expect(s.warnings.join()).toMatch(/BOOTIF/);
  });
});

describe('agent token', () => {
  const TOKEN = 'vfVLIs3WHyW8zfvDxJgRPR4RTjnxHxEia8vNrm9R1BA';

  test('from the kernel command line', () => {
    const s = resolveSettings({ flags: {}, env: {}, cmdline: `${CMDLINE} ipa-agent-token=${TOKEN}` });
    expect(s.agentToken).toBe(TOKEN);
    expect(s.sources.agentToken).toBe('cmdline');
  });

  test('IPA_AGENT_TOKEN beats the command line', () => {
    const s = resolveSettings({ flags: {}, env: { IPA_AGENT_TOKEN: 'from-env_1' }, cmdline: `${CMDLINE} ipa-agent-token=${TOKEN}` });
    expect(s).toMatchObject({ agentToken: 'from-env_1', sources: { agentToken: 'env' } });
  });

  test('none: null', () => {
    const s = resolveSettings({ flags: {}, env: {}, cmdline: CMDLINE });
    expect(s).toMatchObject({ agentToken: null, sources: { agentToken: 'default' } });
  });

  test('not base64url: bad settings, without the value in the message', () => {
    const resolve = () => resolveSettings({ flags: {}, env: {}, cmdline: `${CMDLINE} ipa-agent-token=abc/secret+` });
    expect(resolve).toThrow(SettingsError);
    expect(resolve).toThrow(/agent token from cmdline is not base64url/);
    expect(resolve).not.toThrow(/secret/);
  });
});

describe('bad settings', () => {
  const bad = (flags: Parameters<typeof resolveSettings>[0]['flags'], cmdline = '') => () =>
    resolveSettings({ flags, env: {}, cmdline });

  test.each([
    ['no callback URL', {}, /no callback URL/],
    ['not a URL', { callbackUrl: 'not a url' }, /not a valid URL/],
    ['wrong scheme', { callbackUrl: 'ftp://x/y' }, /http or https/],
    ['mdns', { callbackUrl: 'mdns' }, /mDNS/],
    ['unknown collector', { dryRun: true, collectors: 'default,nope' }, /unknown collector.*nope/],
    ['bad BMC address', { dryRun: true, bmcAddress: 'bmc.example' }, /not an IP address/],
    ['bad deadline', { dryRun: true, deadline: '0' }, /--deadline/],
    ['NaN deadline', { dryRun: true, deadline: 'soon' }, /--deadline/],
    ['bad --bootif', { dryRun: true, bootif: 'xx' }, /--bootif/],
  ])('%s', (_name, flags, message) => {
    expect(bad(flags)).toThrow(SettingsError);
    expect(bad(flags)).toThrow(message);
  });

  test('error messages do not echo the callback URL (it may carry credentials)', () => {
    expect(bad({ callbackUrl: 'ftp://user:secret@x/y' })).not.toThrow(/secret/);
  });
});
