import { InvalidInputError } from './errors';
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

/** Parses outside input or throws a 400 whose message names each bad field (under `prefix` when given). */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown, prefix?: string): z.infer<T> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw new InvalidInputError(describeZodError(parsed.error, prefix ? [prefix] : []));
  return parsed.data;
}
