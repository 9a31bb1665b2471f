import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { AppError, type ErrorCode, errorCatalog } from '../errors.js';
import { MoneyError } from '../money.js';
import { problemLanguage, problemTitle } from './problem-titles.js';

/** RFC 9457 problem details, with our stable `code`. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  code: ErrorCode;
  detail?: string;
  requestId: string;
  errors?: Array<{ path: string; message: string }>;
  [extra: string]: unknown;
}

export function problem(
  code: ErrorCode,
  requestId: string,
  detail?: string,
  extra: Record<string, unknown> = {},
): Problem {
  const { status, title } = errorCatalog[code];
  // Extension members come first so they can never overwrite the RFC 9457 members: an extra
  // `status` (a refund's state) used to replace the HTTP status and turn a 409 into a 500.
  return { ...extra, type: `/docs/errors#${code}`, title, status, code, ...(detail ? { detail } : {}), requestId };
}

/** The title in the language the request's Accept-Language prefers (English by default). */
function send(reply: FastifyReply, p: Problem): FastifyReply {
  const lang = problemLanguage(reply.request.headers['accept-language']);
  return reply
    .code(p.status)
    .type('application/problem+json')
    .header('content-language', lang)
    .send({ ...p, title: problemTitle(p.code, lang) });
}

// Fastify's own request errors, by their code, to ours.
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'payload_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'validation_failed',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'malformed_json',
  FST_ERR_CTP_INVALID_JSON_BODY: 'malformed_json',
  FST_ERR_VALIDATION: 'validation_failed',
};

function issueCode(params: unknown): ErrorCode | undefined {
  const code = (params as { params?: { code?: unknown } } | undefined)?.params?.code;
  return typeof code === 'string' && code in errorCatalog ? (code as ErrorCode) : undefined;
}

function toProblem(error: FastifyError | Error, request: FastifyRequest): Problem {
  const id = request.id;
  if (error instanceof AppError) return problem(error.code, id, error.detail, error.extra);
  if (error instanceof MoneyError) return problem('validation_failed', id, error.message);
  if (hasZodFastifySchemaValidationErrors(error)) {
    const errors = error.validation.map((v) => ({
      path: `${error.validationContext ?? 'body'}${v.instancePath.replaceAll('/', '.')}`,
      message: v.message ?? 'invalid',
    }));
    // src/http/text.ts: an issue may name its own code (contact_required, card_number_not_allowed);
    // it is used when every issue names one, else the request is simply not valid.
    const named = error.validation.map((v) => issueCode(v.params));
    const code = named.every((c) => c !== undefined) ? named[0] : 'validation_failed';
    const detail = code === 'validation_failed' ? 'The request does not match the schema' : errors[0].message;
    return problem(code ?? 'validation_failed', id, detail, { errors });
  }
  const fe = error as FastifyError;
  if (error instanceof SyntaxError && fe.statusCode === 400)
    return problem('malformed_json', id, 'The body is not valid JSON');
  const mapped = fe.code ? FASTIFY_CODES[fe.code] : undefined;
  if (mapped) return problem(mapped, id, fe.message);
  if (fe.statusCode && fe.statusCode >= 400 && fe.statusCode < 500) {
    return problem(
      fe.statusCode === 413
        ? 'payload_too_large'
        : fe.statusCode === 415
          ? 'unsupported_media_type'
          : 'validation_failed',
      id,
      fe.message,
    );
  }
  return problem('internal_error', id);
}

const METHODS = ['GET', 'POST', 'PUT', 'PATCH', 'DELETE'] as const;

/**
 * Fastify's `frameworkErrors` option: errors raised before routing (a broken percent-encoding, a
 * path parameter over `maxParamLength`) otherwise get Fastify's own JSON, not a problem.
 */
export function frameworkErrors(error: FastifyError, request: FastifyRequest, reply: FastifyReply): void {
  const known = error.code === 'FST_ERR_BAD_URL' || error.code === 'FST_ERR_MAX_PARAM_LENGTH';
  if (!known) request.log.error({ err: error }, 'unhandled framework error');
  send(reply, known ? problem('validation_failed', request.id, error.message) : problem('internal_error', request.id));
}

export function registerProblemHandlers(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    const p = toProblem(error, request);
    // A bug; not `busy` (503), an expected answer that would flood the log while the server catches up.
    if (p.code === 'internal_error') request.log.error({ err: error }, 'unhandled error');
    return send(reply, p);
  });
  app.setNotFoundHandler((request, reply) => {
    const url = request.url.split('?')[0];
    const allow = METHODS.filter((method) => app.findRoute({ method, url }) !== null);
    if (allow.length > 0) {
      reply.header('allow', allow.join(', '));
      return send(reply, problem('method_not_allowed', request.id, `this route answers ${allow.join(', ')}`));
    }
    return send(reply, problem('route_not_found', request.id));
  });
}
