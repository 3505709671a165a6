import fs from 'node:fs';
import path from 'node:path';
import { Router, type NextFunction, type Request, type Response } from 'express';
import type { ReportedPhase } from '../common/boot-phases';
import type { Config } from '../common/config';
import { InvalidInputError, NotFoundError } from '../common/errors';
import { bootMac } from '../common/mac';
import type { NodeRegistry } from '../nodes';
import type { BootPhaseReports } from './boot-phases';

// The iPXE boot service: the firmware of a server set to PXE chains to /boot.ipxe, which
// chains to a script for its own MAC. That script boots the ramdisk with the run's settings
// while the node is being introspected (a MAC nobody enrolled boots it too, without a token:
// the DHCP filter decides who gets this far); a known node that is not being introspected
// boots from its disk. The kernel and ramdisk URLs of a script name its MAC, so that each
// download served tells the node's run how far its boot got.

const HOST_CHARS = /^[A-Za-z0-9.:[\]-]{1,255}$/;

/** Where this server was reached; the Host header goes onto a kernel command line, so only host characters. */
function baseUrl(req: Request): string {
  const host = req.get('host') ?? '';
  if (!HOST_CHARS.test(host)) throw new InvalidInputError('Host: not a host name or address');
  return `${req.protocol}://${host}`;
}

const RAMDISK_FILES: Record<string, ReportedPhase> = { vmlinuz: 'kernel_fetched', initramfs: 'ramdisk_fetched' };

const hyphenated = (mac: string) => mac.replace(/:/g, '-');

function ramdiskScript(base: string, config: Config, mac: string, token: string | undefined): string {
  const params = [
    `ipa-inspection-callback-url=${config.CALLBACK_URL ?? `${base}/v1/continue`}`,
    `ipa-inspection-collectors=${config.AGENT_COLLECTORS}`,
    `BOOTIF=01-${hyphenated(mac)}`,
    ...(token ? [`ipa-agent-token=${token}`] : []),
    // iPXE names an image by its URL's last path segment: this one is "initramfs".
    'initrd=initramfs',
  ];
  const files = `${base}/ramdisk/${hyphenated(mac)}`;
  return ['#!ipxe', `kernel ${files}/vmlinuz ${params.join(' ')}`, `initrd ${files}/initramfs`, 'boot', ''].join('\n');
}

/** Reports once the whole answer has gone out, and only a 200 (not an error, not a client that gave up). */
function whenServed(res: Response, report: () => void): void {
  res.on('finish', () => {
    if (res.statusCode === 200) report();
  });
}

const LOCAL_DISK = ['#!ipxe', 'echo This server is not being introspected: booting from its local disk', 'exit', ''].join('\n');

export function bootRoutes(config: Config, registry: NodeRegistry, phases: BootPhaseReports): Router {
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
    if (token) whenServed(res, () => phases.servedTo(port.node_uuid, 'script_fetched'));
    res.type('text/plain').send(token ? ramdiskScript(base, config, mac, token) : LOCAL_DISK);
  });
  // The kernel and ramdisk the scripts boot: fixed names only, nothing else of the directory;
  // under /ramdisk/<mac>/ (what the scripts name) they count as that node's boot getting so far.
  for (const [file, phase] of Object.entries(RAMDISK_FILES)) {
    const send = (res: Response, next: NextFunction) => {
      const full = path.join(config.RAMDISK_DIR, file);
      if (!fs.existsSync(full)) return next(new NotFoundError(`${file} is not built: run npm run build:ramdisk (or set RAMDISK_DIR)`));
      res.sendFile(full, { headers: { 'Content-Type': 'application/octet-stream' } });
    };
    router.get(`/ramdisk/${file}`, (_req, res, next) => send(res, next));
    router.get(`/ramdisk/:mac/${file}`, (req, res, next) => {
      const mac = bootMac(req.params.mac);
      if (!mac) throw new InvalidInputError(`mac: not a MAC address, like 52-54-00-12-34-56: /ramdisk/<mac>/${file}`);
      whenServed(res, () => phases.served(mac, phase));
      send(res, next);
    });
  }
  return router;
}
