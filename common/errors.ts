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
/** No or wrong credentials. */
export class UnauthorizedError extends Error {
  readonly status = 401;
}
/** Known, but not allowed to do this. */
export class ForbiddenError extends Error {
  readonly status = 403;
}

/** A service this request needs (Temporal, S3, the registry) cannot be reached: try again later. */
export class UnavailableError extends Error {
  readonly status = 503;
  constructor(
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(message);
  }
}

const STATUS_ERRORS = [NotFoundError, ConflictError, InvalidInputError, UnauthorizedError, ForbiddenError, UnavailableError];

export function httpStatusOf(err: unknown): number {
  return STATUS_ERRORS.some((type) => err instanceof type) ? (err as { status: number }).status : 500;
}
