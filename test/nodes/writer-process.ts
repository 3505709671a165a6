// Run by concurrency.test.ts in a process of its own: an introspection worker applying
// pipeline patches to one node, as fast as it can. Usage: writer-process.ts URL NODE ROUNDS
import { openRegistry } from '../../nodes';
import { pipelinePatch } from './pipeline-patch';

async function main() {
  const [url, node, rounds] = process.argv.slice(2);
  const registry = await openRegistry(url);
  try {
    for (let round = 0; round < Number(rounds); round++) {
      await registry.applyPatch(node, pipelinePatch({ properties: { [`worker_${round}`]: round } }));
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
  } finally {
    await registry.close();
  }
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
