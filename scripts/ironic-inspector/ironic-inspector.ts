import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { startService, waitForReady, type Service } from '../services';

// Debian 12's ironic-inspector 11.1 (python3-ironic-inspector), the system Introspector
// replaces, run standalone (side-by-side measurements, compatibility tests): API and conductor in one process,
// no message broker (transport_url fake://), a SQLite database, no authentication on its API,
// no PXE filter, and Introspector's node API as its Ironic (http_basic). Debian's Python, not a
// pyenv shim on PATH: the package's modules are only there.

const PYTHON = '/usr/bin/python3';
const BIN = '/usr/bin/ironic-inspector';

export interface IronicInspectorOptions {
  dir: string;
  port: number;
  /** Ironic's endpoint: Introspector's node API. */
  ironicUrl: string;
  ironicUser: { username: string; password: string };
  /** [processing] processing_hooks. */
  processingHooks: string[];
  /** [processing] store_data: none, database or swift. */
  storeData: 'none' | 'database';
  /**
   * [DEFAULT] can_manage_boot: true (ironic-inspector's default) lets runs set the boot device and
   * power through Ironic's API; unset or false, the boot is the operator's and no BMC is called.
   */
  manageBoot?: boolean;
  /** [processing] add_ports; unset: ironic-inspector's default (pxe). */
  addPorts?: 'pxe' | 'active' | 'all';
}

/** Installs the Debian package unless it is there already (a few seconds when it is missing). */
export function ensureIronicInspector(): void {
  execFileSync('bash', [path.join(__dirname, 'install.sh')], { stdio: ['ignore', 'ignore', 'inherit'] });
}

export function ironicInspectorVersion(): string {
  return execFileSync('dpkg-query', ['-W', '-f=${Version}', 'python3-ironic-inspector'], { encoding: 'utf8' }).trim();
}

function configText(o: IronicInspectorOptions): string {
  return `[DEFAULT]
standalone = True
transport_url = fake://
host = introspector-bench
auth_strategy = noauth
listen_address = 127.0.0.1
listen_port = ${o.port}
can_manage_boot = ${o.manageBoot ? 'True' : 'False'}
log_file = ${path.join(o.dir, 'ironic-inspector.log')}
use_stderr = False

[database]
connection = sqlite:///${path.join(o.dir, 'inspector.sqlite')}

[ironic]
auth_type = http_basic
username = ${o.ironicUser.username}
password = ${o.ironicUser.password}
endpoint_override = ${o.ironicUrl}

[pxe_filter]
driver = noop

[processing]
processing_hooks = ${o.processingHooks.join(',')}
store_data = ${o.storeData}
${o.addPorts ? `add_ports = ${o.addPorts}\n` : ''}`;
}

export interface RunningIronicInspector extends Service {
  url: string;
  logFile: string;
}

/** Writes the configuration (0600: it holds the Ironic password), creates the database and starts the service. */
export async function startIronicInspector(o: IronicInspectorOptions): Promise<RunningIronicInspector> {
  fs.mkdirSync(o.dir, { recursive: true });
  const conf = path.join(o.dir, 'ironic-inspector.conf');
  fs.writeFileSync(conf, configText(o), { mode: 0o600 });
  execFileSync(PYTHON, ['/usr/bin/ironic-inspector-dbsync', '--config-file', conf, 'upgrade'], { stdio: ['ignore', 'ignore', 'pipe'] });
  const logFile = path.join(o.dir, 'ironic-inspector.log');
  const service = startService('ironic-inspector', PYTHON, [BIN, '--config-file', conf], path.join(o.dir, 'stdout.log'));
  const url = `http://127.0.0.1:${o.port}`;
  try {
    await waitForReady('ironic-inspector', `${url}/`, service.child, 60_000, logFile);
  } catch (err) {
    await service.stop();
    throw err;
  }
  return { ...service, url, logFile };
}
