/**
 * An error a user can act on. `code` is stable and machine-readable; `status` is the HTTP status
 * the API answers with, so every layer can throw these and the server maps them in one place.
 */
export class TroveError extends Error {
  readonly code: string;
  readonly status: number;
  constructor(code: string, message: string, status = 400) {
    super(message);
    this.name = 'TroveError';
    this.code = code;
    this.status = status;
  }
}

/** An unknown feature view, feature or service (404 over HTTP). */
export class NotFoundError extends TroveError {
  constructor(code: string, message: string) {
    super(code, message, 404);
    this.name = 'NotFoundError';
  }
}

/** A store (Redis, the registry file) did not answer (503 over HTTP). */
export class UnavailableError extends TroveError {
  constructor(message: string) {
    super('STORE_UNAVAILABLE', message, 503);
    this.name = 'UnavailableError';
  }
}

/** Work that conflicts with work under way, such as a second materialization of a view (409). */
export class ConflictError extends TroveError {
  constructor(code: string, message: string) {
    super(code, message, 409);
    this.name = 'ConflictError';
  }
}
