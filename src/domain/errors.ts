/**
 * Errors of the domain, the lifecycle and the store. They name what is wrong in words a user can act
 * on; one exception filter (src/common/http-exception.filter.ts) maps each family to its HTTP status.
 */
export abstract class DomainError extends Error {
  override readonly name: string = this.constructor.name;
}

/** 404: the job, gate or file named does not exist. */
export class NotFoundError extends DomainError {}

/** 409: the request is well-formed but the job's state does not allow it now. */
export class ConflictError extends DomainError {}

/** 400: the request itself is malformed (a patch that does not validate or apply). */
export class InvalidInputError extends DomainError {}

export class JobNotFound extends NotFoundError {
  constructor(readonly jobId: string) {
    super(`Job ${jobId} not found`);
  }
}

/** A command the transition table has no row for, from the job's current status. */
export class IllegalTransition extends ConflictError {}

/** 503: the store cannot be reached or written right now; the caller may retry after `retryAfterSeconds`. */
export class StoreUnavailable extends DomainError {
  constructor(
    message: string,
    readonly retryAfterSeconds = 1,
  ) {
    super(message);
  }
}

/** 507: the store's disk is full; nothing was written. */
export class StoreFull extends StoreUnavailable {
  constructor(message: string) {
    super(message, 30);
  }
}

/** The bus between instances (NATS) is not reachable: 503, like a store that refuses. */
export class BusUnavailable extends StoreUnavailable {}
