import type { z } from 'zod';

/** One line per problem, each naming the field path, e.g. `inventory.cpu.count: expected number`. */
export function describeZodError(error: z.ZodError, basePath: string[] = []): string {
  return error.issues
    .map((issue) => {
      const path = [...basePath, ...issue.path.map(String)];
      return `${path.length ? path.join('.') : '(body)'}: ${issue.message}`;
    })
    .join('; ');
}
