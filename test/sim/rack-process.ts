// A simulated rack in a process of its own, for the teardown tests: starts the rack its argument
// describes (RackOptions as JSON), says "up" and runs until it is killed.
import { SimRack } from '../../sim/rack';

SimRack.start(JSON.parse(process.argv[2])).then(() => {
  console.log('up');
  setInterval(() => undefined, 1 << 30);
});
