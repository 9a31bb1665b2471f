import { AppError } from '../errors.js';

export const webhookUrlInvalid = (why: string) => new AppError('webhook_url_invalid', `the webhook URL ${why}`);

export const webhookEventUnknown = (event: string) =>
  new AppError(
    'webhook_event_unknown',
    event === '' ? 'subscribe to at least one event' : `unknown event "${event.slice(0, 64)}"`,
  );

export const webhookEndpointLimit = (max: number) =>
  new AppError('webhook_endpoint_limit', `a merchant may have at most ${max} webhook endpoints; delete one first`);
