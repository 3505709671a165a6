import { execFile } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { SimNode } from '../../sim/rack';

/** Racks need root (namespaces, port 623) and ipmi_sim; without them the suites are skipped, saying why. */
export function describeWithRack(name: string, body: () => void): void {
  const missing =
    process.getuid?.() !== 0 ? 'not root' : !['/usr/bin/ipmi_sim', '/usr/local/bin/ipmi_sim'].some((p) => fs.existsSync(p)) ? 'ipmi_sim is not installed' : null;
  if (missing) console.warn(`SKIPPING ${name}: ${missing}`);
  (missing ? describe.skip : describe)(name, body);
}

export interface Answer {
  code: number;
  /** stderr then stdout, as the ipmitool driver reads them. */
  output: string;
}

/** ipmitool as the project's driver runs it (lanplus, -C 3, -N 1 -R 2, -v). */
export function ipmitool(node: SimNode, ...args: string[]): Promise<Answer> {
  const argv = ['-I', 'lanplus', '-H', node.bmcAddress, '-p', String(node.bmcPort), '-U', node.username, '-E', '-C', '3', '-N', '1', '-R', '2', '-v', ...args];
  return new Promise((resolve) => {
    execFile('ipmitool', argv, { env: { PATH: process.env.PATH, IPMI_PASSWORD: node.password }, timeout: 60000 }, (err, stdout, stderr) =>
      resolve({ code: err ? Number(err.code ?? 1) : 0, output: `${stderr}${stdout}` }),
    );
  });
}

/** The boot service the nodes' firmware asks: every MAC is told to boot from its local disk; the URLs asked for are kept. */
export async function startBootService(): Promise<{ port: number; asked: string[]; close(): Promise<void> }> {
  const asked: string[] = [];
  const server = http.createServer((req, res) => {
    asked.push(req.url ?? '');
    res.end('#!ipxe\necho not being introspected: booting from the local disk\nexit\n');
  });
  await new Promise<void>((resolve) => server.listen(0, '0.0.0.0', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    asked,
    close: async () => {
      server.closeAllConnections();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

export const chassisLog = (node: SimNode) => fs.readFileSync(`${node.dir}/chassis.log`, 'utf8');
