import fs from 'node:fs';
import path from 'node:path';
import { Router, type Request } from 'express';
import type { Config } from '../common/config';
import { InvalidInputError, NotFoundError } from '../common/errors';
import { bootMac } from '../common/mac';
import type { NodeRegistry } from '../nodes';

// The iPXE boot service: the firmware of a server set to PXE chains to /boot.ipxe, which
// chains to a script for its own MAC. That script boots the ramdisk with the run's settings
// while the node is being introspected (a MAC nobody enrolled boots it too, without a token:
// the DHCP filter decides who gets this far); a known node that is not being introspected
// boots from its disk.

const HOST_CHARS = /^[A-Za-z0-9.:[\]-]{1,255}$/;

/** Where this server was reached; the Host header goes onto a kernel command line, so only host characters. */
function baseUrl(req: Request): string {
  const host = req.get('host') ?? '';
  if (!HOST_CHARS.test(host)) throw new InvalidInputError('Host: not a host name or address');
  return `${req.protocol}://${host}`;
}

function ramdiskScript(base: string, config: Config, mac: string, token: string | undefined): string {
  const params = [
    `ipa-inspection-callback-url=${config.CALLBACK_URL ?? `${base}/v1/continue`}`,
    `ipa-inspection-collectors=${config.AGENT_COLLECTORS}`,
    `BOOTIF=01-${mac.replace(/:/g, '-')}`,
    ...(token ? [`ipa-agent-token=${token}`] : []),
    'initrd=initramfs',
  ];
  return ['#!ipxe', `kernel ${base}/ramdisk/vmlinuz ${params.join(' ')}`, `initrd ${base}/ramdisk/initramfs`, 'boot', ''].join('\n');
}

const LOCAL_DISK = ['#!ipxe', 'echo This server is not being introspected: booting from its local disk', 'exit', ''].join('\n');

export function bootRoutes(config: Config, registry: NodeRegistry): Router {
  const router = Router();
  router.get('/boot.ipxe', (_req, res) => {
    res.type('text/plain').send(['#!ipxe', 'chain boot/${net0/mac:hexhyp}.ipxe || exit', ''].join('\n'));
  });
  router.get('/boot/:script', async (req, res) => {
    const script = req.params.script;
    const mac = script.endsWith('.ipxe') ? bootMac(script.slice(0, -'.ipxe'.length)) : null;
    if (!mac) throw new InvalidInputError('mac: the script name must be a MAC address followed by .ipxe, like 52-54-00-12-34-56.ipxe');
    const base = baseUrl(req);
    const [port] = await registry.listPorts(undefined, { address: mac, limit: 1 });
    if (!port) return res.type('text/plain').send(ramdiskScript(base, config, mac, undefined));
    const token = await registry.runs.tokenOf(port.node_uuid);
    res.set('Cache-Control', 'no-store'); // it carries the run's token
    res.type('text/plain').send(token ? ramdiskScript(base, config, mac, token) : LOCAL_DISK);
  });
  // The kernel and ramdisk the scripts boot: fixed names only, nothing else of the directory.
  for (const file of ['vmlinuz', 'initramfs']) {
    router.get(`/ramdisk/${file}`, (_req, res, next) => {
      const full = path.join(config.RAMDISK_DIR, file);
      if (!fs.existsSync(full)) return next(new NotFoundError(`${file} is not built: run npm run build:ramdisk (or set RAMDISK_DIR)`));
      res.sendFile(full, { headers: { 'Content-Type': 'application/octet-stream' } });
    });
  }
  return router;
}
