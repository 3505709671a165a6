// What a PXE firmware makes of the iPXE script the boot service answers for its MAC
// (GET /boot/<mac>.ipxe): the commands run in order until `boot` (start the kernel that
// `kernel` loaded, with the rest of that line as its command line) or `exit` (give up on
// the network: the firmware boots from the local disk).

export type BootScript =
  | { boot: 'ramdisk'; kernel: string; cmdline: string; initrd: string | null }
  | { boot: 'local-disk'; message: string | null };

export class BootScriptError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BootScriptError';
  }
}

export function parseBootScript(text: string): BootScript {
  const lines = text.split(/\r?\n/).map((line) => line.trim());
  if (lines[0] !== '#!ipxe') throw new BootScriptError('not an iPXE script (no #!ipxe on its first line)');
  let kernel: { url: string; cmdline: string } | null = null;
  let initrd: string | null = null;
  let message: string | null = null;
  for (const line of lines.slice(1)) {
    if (!line || line.startsWith('#')) continue;
    const [command, ...args] = line.split(/\s+/);
    const rest = line.slice(command.length).trim();
    switch (command) {
      case 'kernel':
        if (!args[0]) throw new BootScriptError('kernel without a URL');
        kernel = { url: args[0], cmdline: rest.slice(args[0].length).trim() };
        break;
      case 'initrd':
        initrd = args[0] ?? null;
        break;
      case 'echo':
        message = rest;
        break;
      case 'boot':
        if (!kernel) throw new BootScriptError('boot before any kernel was loaded');
        return { boot: 'ramdisk', kernel: kernel.url, cmdline: kernel.cmdline, initrd };
      case 'exit':
        return { boot: 'local-disk', message };
      default:
        // dhcp, sleep, set and the like change nothing a simulated node needs.
        break;
    }
  }
  throw new BootScriptError('the script ends without boot or exit');
}
