// The one base class for trailwatch's own errors.

/** The base class for trailwatch's own errors: a stable code for logs and tests, and the cause kept. */
export class TrailwatchError extends Error {
  constructor(
    readonly code: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}
