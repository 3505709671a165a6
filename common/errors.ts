/** Errors that cross module boundaries and map to HTTP status codes in api/. */
export class NotFoundError extends Error {
  readonly status = 404;
}
export class ConflictError extends Error {
  readonly status = 409;
}
export class InvalidInputError extends Error {
  readonly status = 400;
}

export function httpStatusOf(err: unknown): number {
  if (err instanceof NotFoundError || err instanceof ConflictError || err instanceof InvalidInputError) return err.status;
  return 500;
}
