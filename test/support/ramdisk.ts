import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { QEMU } from '../../sim/vm';

/** Where `npm run build:ramdisk` puts the ramdisk the inspector serves (RAMDISK_DIR). */
export const RAMDISK_DIR = path.resolve(__dirname, '..', '..', 'dist', 'ramdisk');

/**
 * What a test booting a real VM needs, on a fresh machine too: the ramdisk (built when
 * missing, or built before builds wrote ramdisk-release and shipped ipmitool: a few minutes),
 * qemu and its iPXE ROMs (apt-get, as root).
 */
export function ensureVmPrerequisites(): void {
  if (!['vmlinuz', 'initramfs', 'ramdisk-release'].every((f) => fs.existsSync(path.join(RAMDISK_DIR, f)))) {
    execFileSync('npm', ['run', 'build:ramdisk'], { cwd: path.resolve(__dirname, '..', '..'), stdio: ['ignore', 2, 2], timeout: 20 * 60_000 });
  }
  let qemu = true;
  try {
    execFileSync(QEMU, ['--version'], { stdio: 'ignore' });
  } catch {
    qemu = false;
  }
  if (qemu && fs.existsSync('/usr/lib/ipxe/qemu/efi-virtio.rom')) return;
  aptInstall(['qemu-system-x86', 'ipxe-qemu']);
}

/** Installs Debian packages (as root), updating the package lists first if the install fails on stale ones. */
export function aptInstall(packages: string[]): void {
  const apt = (args: string[]) =>
    execFileSync('apt-get', args, { stdio: ['ignore', 2, 2], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' }, timeout: 15 * 60_000 });
  try {
    apt(['install', '-y', '--no-install-recommends', ...packages]);
  } catch {
    apt(['update']);
    apt(['install', '-y', '--no-install-recommends', ...packages]);
  }
}

/** Pids of the qemu processes whose command line names this file (a VM node's disk image). */
export function qemuProcessesUsing(file: string): number[] {
  return fs
    .readdirSync('/proc')
    .filter((entry) => /^\d+$/.test(entry))
    .filter((pid) => {
      try {
        const argv = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0');
        return path.basename(argv[0]) === QEMU && argv.some((a) => a.includes(file));
      } catch {
        return false;
      }
    })
    .map(Number);
}
