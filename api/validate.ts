import type { z } from 'zod';
import { InvalidInputError } from '../common/errors';
import { describeZodError } from '../common/validation';

/** Parses outside input or throws a 400 whose message names each bad field. */
export function parseInput<T extends z.ZodType>(schema: T, input: unknown): z.infer<T> {
  const parsed = schema.safeParse(input);
  if (!parsed.success) throw new InvalidInputError(describeZodError(parsed.error));
  return parsed.data;
}
