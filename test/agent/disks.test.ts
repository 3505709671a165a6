// Disk transport (lsblk's TRAN) and software RAID arrays, as IPA reports them.

import { createContext } from '../../agent/context';
import { listDisks, transport } from '../../agent/hw/disks';
import { makeTree, removeTree } from './helpers';

const GiB = 1024 * 1024 * 1024;

/** A SCSI disk on host `host`, its device directory under `devicePath`. */
function scsiDisk(name: string, host: number, devicePath: string) {
  return {
    [`sys/block/${name}/dev`]: '8:0\n',
    [`sys/block/${name}/size`]: `${(10 * GiB) / 512}\n`,
    [devicePath + '/model']: 'DISK\n',
    [`sys/block/${name}/device`]: { link: `../../${devicePath.replace(/^sys\//, '')}` },
    [`${devicePath}/scsi_device/${host}:0:0:0`]: { dir: true },
  };
}

let root: string;
beforeAll(async () => {
  root = await makeTree({
    ...scsiDisk('sda', 0, 'sys/devices/pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0'),
    'sys/class/scsi_host/host0/proc_name': 'ahci\n',
    ...scsiDisk('sdb', 1, 'sys/devices/pci0000:00/0000:18:00.0/host1/port-1:0/end_device-1:0/target1:0:0/1:0:0:0'),
    'sys/class/sas_host/host1': { dir: true },
    'sys/class/scsi_host/host1/proc_name': 'mpt3sas\n',
    ...scsiDisk('sdc', 2, 'sys/devices/pci0000:00/0000:00:14.0/usb2/2-1/2-1:1.0/host2/target2:0:0/2:0:0:0'),
    'sys/class/scsi_host/host2/proc_name': 'usb-storage\n',
    ...scsiDisk('sdd', 3, 'sys/devices/pci0000:00/0000:00:1f.2/ata3/host3/target3:0:0/3:0:0:0'),
    'sys/class/scsi_host/host3/proc_name': 'ata_piix\n',
    ...scsiDisk('sde', 4, 'sys/devices/pci0000:00/0000:86:00.0/host4/rport-4:0-0/target4:0:0/4:0:0:0'),
    'sys/class/fc_host/host4/symbolic_name': 'QLE2742 FW:v9.06.02 DVR:v10.02.00.106-k\n',
    ...scsiDisk('sdf', 5, 'sys/devices/platform/host5/session1/target5:0:0/5:0:0:0'),
    'sys/class/iscsi_host/host5': { dir: true },
    ...scsiDisk('sdg', 6, 'sys/devices/pci0000:00/0000:00:05.0/virtio1/host6/target6:0:0/6:0:0:0'),
    'sys/class/scsi_host/host6/proc_name': 'virtio_scsi\n',
    'sys/block/nvme0n1/size': `${(100 * GiB) / 512}\n`,
    'sys/block/nvme0n1/device/model': 'NVMe\n',
    'sys/block/vda/size': `${(20 * GiB) / 512}\n`,
    'sys/block/vda/device/vendor': '0x1af4\n',
    // software RAID: an array of a raid level is a disk, a linear one and a partition of one are not
    'sys/block/md0/size': `${(200 * GiB) / 512}\n`,
    'sys/block/md0/md/level': 'raid1\n',
    'sys/block/md0/queue/rotational': '0\n',
    'sys/block/md0/md0p1/size': `${(1 * GiB) / 512}\n`,
    'sys/block/md1/size': `${(200 * GiB) / 512}\n`,
    'sys/block/md1/md/level': 'linear\n',
    'sys/block/md2/size': '0\n',
    'sys/block/md2/md/level': 'raid5\n',
    'sys/block/dm-0/size': `${(50 * GiB) / 512}\n`,
  });
});
afterAll(() => removeTree(root));

test('transport of each kind of disk, as lsblk TRAN', async () => {
  const disks = await listDisks(createContext({ root, useSysteminformation: false }));
  expect(Object.fromEntries(disks.map((d) => [d.name, d.tran]))).toEqual({
    '/dev/md0': null,
    '/dev/md2': null,
    '/dev/nvme0n1': 'nvme',
    '/dev/sda': 'sata',
    '/dev/sdb': 'sas',
    '/dev/sdc': 'usb',
    '/dev/sdd': 'ata',
    '/dev/sde': 'fc',
    '/dev/sdf': 'iscsi',
    '/dev/sdg': null,
    '/dev/vda': 'virtio',
  });
});

test('a RAID array is listed with the disks, its size and rotational flag from sysfs', async () => {
  const disks = await listDisks(createContext({ root, useSysteminformation: false }));
  expect(disks.find((d) => d.name === '/dev/md0')).toMatchObject({ size: 200 * GiB, rotational: false, hctl: null, model: null, serial: null });
  expect(disks.map((d) => d.name)).not.toContain('/dev/md1');
});

test('FC over Ethernet is fcoe', async () => {
  const fcoe = await makeTree({
    ...scsiDisk('sda', 7, 'sys/devices/virtual/net/eth1/host7/rport-7:0-1/target7:0:0/7:0:0:0'),
    'sys/class/fc_host/host7/symbolic_name': 'fcoe v0.1 over eth1\n',
  });
  try {
    expect(await transport(fcoe, 'sda', '7:0:0:0')).toBe('fcoe');
  } finally {
    await removeTree(fcoe);
  }
});
