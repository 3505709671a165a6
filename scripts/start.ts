// `npm start`: the Temporal dev server, versitygw, the API and a worker on the embedded
// defaults (after scripts/bootstrap.sh), and dnsmasq for DHCP and TFTP when PXE_INTERFACE is
// set. A child that dies is started again while the rest keeps serving (scripts/supervisor.ts);
// Ctrl-C stops every child.
import fs from 'node:fs';
import path from 'node:path';
import { ensureAdminUser } from '../api/auth/htpasswd';
import { adminPasswordFile, apiHost, htpasswdFile, loadConfig, type Config } from '../common/config';
import { dnsmasqFiles, startDnsmasq } from '../pxe/dnsmasq';
import { backingServiceStarters, startService, tsEntry, waitForReady } from './services';
import { Supervisor } from './supervisor';


/** Who may use the APIs, said once at start; a password Introspector made up is shown this once only. */
function accessNote(config: Config): string {
  if (config.AUTH_STRATEGY === 'noauth') return `authentication is OFF (AUTH_STRATEGY=noauth): the APIs listen on ${apiHost(config)} only`;
  const generated = ensureAdminUser(htpasswdFile(config), adminPasswordFile(config), config.INTROSPECTOR_ADMIN_PASSWORD);
  const users = `users: ${htpasswdFile(config)} (htpasswd -B); admin's password is kept in ${adminPasswordFile(config)}`;
  return generated ? `created the user admin with the password ${generated}\n  ${users}` : users;
}

function pxeNote(config: Config): string {
  if (!config.PXE_INTERFACE) return 'DHCP/PXE        not served (set PXE_INTERFACE and PXE_DHCP_RANGE, or point your DHCP server at /boot.ipxe)';
  const files = dnsmasqFiles(config);
  return `DHCP/PXE        dnsmasq on ${config.PXE_INTERFACE} (${config.PXE_DHCP_RANGE}), config ${files.conf}, PXE filter in ${files.hostsdir}`;
}

async function main() {
  const config = loadConfig();
  const dataDir = config.INTROSPECTOR_DATA_DIR;
  const logs = path.join(dataDir, 'logs');
  fs.mkdirSync(logs, { recursive: true });
  const supervisor = new Supervisor((message) => console.error(`${new Date().toISOString()} ${message}`));
  let stopping = false;
  const stopAll = async (code: number) => {
    if (stopping) return;
    stopping = true;
    console.log('\nstopping...');
    await supervisor.stop();
    process.exit(code);
  };
  process.on('SIGINT', () => void stopAll(0));
  process.on('SIGTERM', () => void stopAll(0));

  try {
    const access = accessNote(config); // before the API starts: it would create admin itself, silently
    // An address or endpoint given in the environment means "use that one", not "start one".
    const ownTemporal = !process.env.TEMPORAL_ADDRESS;
    const backing = backingServiceStarters(config, { uiPort: config.TEMPORAL_UI_PORT, temporal: ownTemporal, s3: !process.env.S3_ENDPOINT });
    for (const { name, start } of backing) {
      console.log(`starting ${name}...`);
      await supervisor.add(name, start);
    }
    // The admin password is in the htpasswd file now: the services need not carry it.
    const { INTROSPECTOR_ADMIN_PASSWORD: _password, ...inherited } = process.env;
    const env = { ...inherited, INTROSPECTOR_DATA_DIR: dataDir };
    // The API's /metrics shows the worker's too: it reads them from the worker process.
    const apiEnv = { WORKER_METRICS_URL: `http://127.0.0.1:${config.WORKER_METRICS_PORT}/metrics`, ...env };
    const host = apiHost(config) === '0.0.0.0' ? '127.0.0.1' : apiHost(config);
    const readyz = `http://${host.includes(':') ? `[${host}]` : host}:${config.INSPECTOR_PORT}/readyz`;
    // The API migrates the registry before it listens; the worker starts after, on a settled schema.
    await supervisor.add('api', async () => {
      const api = startService('api', process.execPath, tsEntry('api/main.ts'), path.join(logs, 'api.log'), apiEnv);
      await waitForReady('inspector API', readyz, api.child, 60000, path.join(logs, 'api.log')).catch(async (err) => {
        await api.stop();
        throw err;
      });
      return api;
    });
    if (config.PXE_INTERFACE) {
      console.log(`starting dnsmasq on ${config.PXE_INTERFACE}...`);
      await supervisor.add('dnsmasq', () => startDnsmasq(config, config.CALLBACK_PORT ?? config.INSPECTOR_PORT));
    }
    await supervisor.add('worker', async () => startService('worker', process.execPath, tsEntry('worker/main.ts'), path.join(logs, 'worker.log'), env));
    console.log(`
Introspector is running (data in ${dataDir}, logs in ${logs}):
  ${access}
  inspector API   http://127.0.0.1:${config.INSPECTOR_PORT}/v1/introspection
  node API        http://127.0.0.1:${config.NODE_API_PORT}/v1/nodes
  agent callback  ${config.CALLBACK_PORT ? `http://${config.CALLBACK_HOST ?? apiHost(config)}:${config.CALLBACK_PORT}` : 'on the inspector API'}: POST /v1/continue, GET /boot.ipxe
  ${pxeNote(config)}
  on both APIs    /healthz, /readyz, /metrics (Prometheus, with the worker's), /openapi.json
  Temporal UI     ${ownTemporal ? `http://127.0.0.1:${config.TEMPORAL_UI_PORT}/namespaces/${config.TEMPORAL_NAMESPACE}/workflows` : `your cluster's, namespace ${config.TEMPORAL_NAMESPACE}`}
  Temporal        ${config.TEMPORAL_ADDRESS}
  S3              ${config.S3_ENDPOINT} bucket ${config.S3_BUCKET}
No servers at hand? In another shell (as root): npm run sim -- --count 4
then: npx introspector introspection bulk start --rack sim
Press Ctrl-C to stop.`);
  } catch (err) {
    console.error(err instanceof Error ? err.message : String(err));
    await stopAll(1);
  }
}

void main();
