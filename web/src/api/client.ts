import createClient, { type Middleware } from 'openapi-fetch';
import { currentLanguage } from '../i18n';
import type { paths } from './schema';

/** RFC 9457 problem details as the server sends them; `title` is what the user reads. */
export interface Problem {
  title: string;
  code: string;
  status: number;
  detail?: string;
  unlockAt?: string;
  /** Wrong refund password or operator password: entries left before the lock. */
  attemptsLeft?: number;
  [extra: string]: unknown;
}

export class ApiError extends Error {
  constructor(readonly problem: Problem) {
    super(problem.title);
  }
}

/**
 * The session token lives in this module's memory only: never in storage, a URL or a log. A
 * reload means signing on again, as on a real terminal after a power cut.
 */
let token: string | null = null;
let onSessionEnded: () => void = () => {};
/** Answers that ended the session (a 401 to a request that carried the token). */
const endedBy = new WeakSet<Response>();

/** The session ended under this request: the sign-on screen is already showing, nothing else to say. */
export class SessionEnded extends ApiError {}

export const session = {
  start(t: string) {
    token = t;
  },
  end() {
    token = null;
  },
  get active() {
    return token !== null;
  },
  /** What to do when the server says the session is gone (401): back to sign-on. */
  onEnded(fn: () => void) {
    onSessionEnded = fn;
  },
};

const headers: Middleware = {
  onRequest({ request }) {
    request.headers.set('accept-language', currentLanguage());
    if (token) request.headers.set('authorization', `Bearer ${token}`);
    return request;
  },
  onResponse({ response, request }) {
    if (response.status === 401 && token && request.headers.has('authorization')) {
      token = null;
      endedBy.add(response);
      onSessionEnded();
    }
    return response;
  },
};

export const api = createClient<paths>({ baseUrl: '' });
api.use(headers);

function asProblem(error: unknown, status: number): Problem {
  if (error && typeof error === 'object' && typeof (error as Problem).title === 'string') return error as Problem;
  return { title: `HTTP ${status}`, code: 'unknown', status };
}

/** The answer's data, or an ApiError carrying the server's problem. */
export async function ok<D>(call: Promise<{ data?: D; error?: unknown; response: Response }>): Promise<D> {
  const { data, error, response } = await call;
  if (endedBy.has(response)) throw new SessionEnded(asProblem(error, response.status));
  if (!response.ok) throw new ApiError(asProblem(error, response.status));
  return data as D;
}
