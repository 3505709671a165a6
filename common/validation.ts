import type { z } from 'zod';

/** One line per problem, each naming the field path, e.g. `inventory.cpu.count: expected number`. */
export function describeZodError(error: z.ZodError): string {
  return error.issues
    .map((issue) => `${issue.path.length ? issue.path.join('.') : '(body)'}: ${issue.message}`)
    .join('; ');
}
