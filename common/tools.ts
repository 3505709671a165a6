import fs from 'node:fs';
import path from 'node:path';

/** Finds an executable on PATH or in the tools cache that scripts/bootstrap.sh fills. */
export function findTool(name: string, toolsDir: string): string {
  const dirs = [...(process.env.PATH ?? '').split(path.delimiter), toolsDir];
  for (const dir of dirs) {
    const candidate = path.join(dir, name);
    try {
      fs.accessSync(candidate, fs.constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  throw new Error(`${name} not found on PATH or in ${toolsDir}: run scripts/bootstrap.sh`);
}
