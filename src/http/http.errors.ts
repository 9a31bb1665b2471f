import { AppError } from '../errors.js';

/** The request guards' expected outcomes (the error hook's own answers live in problem.ts). */

/** A NUL character anywhere in a request's text, answered like the schema's validation errors. */
export const nulInText = (path: string) =>
  new AppError('validation_failed', 'Text must not contain NUL (\\u0000)', {
    errors: [{ path, message: 'contains a NUL character' }],
  });

/** The worker is behind (admission.ts): new refunds wait until it catches up. */
export const busy = (maxWaiting: number) =>
  new AppError('busy', `more than ${maxWaiting} refund steps wait for the worker: try again shortly`);

/** A path under /docs that Swagger UI does not serve (docs.ts): the app's own 404, as for any other. */
export const noSuchRoute = () => new AppError('route_not_found');
