import { bmcCommands } from '../../common/metrics';
import { aroundEachCommand, type BmcDriver } from './driver';

/** The driver with each command's duration and outcome counted (introspector_bmc_command_duration_seconds). */
export function measured(driver: BmcDriver, driverName: string): BmcDriver {
  return aroundEachCommand(driver, async (command, run) => {
    const end = bmcCommands.startTimer({ driver: driverName, command });
    try {
      const result = await run();
      end({ outcome: 'ok' });
      return result;
    } catch (err) {
      end({ outcome: 'error' });
      throw err;
    }
  });
}
