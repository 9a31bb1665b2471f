import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import {
  checkWebhookUrl,
  DELIVERY_WINDOW_MS,
  isEventTypeName,
  isPrivateAddress,
  nextAttemptAt,
  normalizeSubscriptions,
  retryDelayMs,
  subscribes,
} from './webhook.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (e) {
    return e instanceof AppError ? e.code : 'not an AppError';
  }
}

describe('webhook URLs', () => {
  const prod = { allowPrivate: false };
  const dev = { allowPrivate: true };

  it('accepts public http(s) URLs and returns them normalised', () => {
    expect(checkWebhookUrl(' https://hooks.example.com/rd?x=1 ', prod)).toBe('https://hooks.example.com/rd?x=1');
    expect(checkWebhookUrl('http://8.8.8.8:8080/hook', prod)).toBe('http://8.8.8.8:8080/hook');
    expect(checkWebhookUrl('HTTPS://Example.COM', prod)).toBe('https://example.com/');
  });

  it.each([
    ['ftp://example.com/x', 'a scheme other than http(s)'],
    ['javascript:alert(1)', 'javascript:'],
    ['not a url', 'no URL at all'],
    ['/relative/path', 'a relative URL'],
    ['https://user:pw@example.com/', 'credentials'],
    ['https://example.com/#frag', 'a fragment'],
    [`https://example.com/${'a'.repeat(2048)}`, 'more than 2048 characters'],
  ])('refuses %s (%s) whatever the setting', (url) => {
    expect(codeOf(() => checkWebhookUrl(url, dev))).toBe('webhook_url_invalid');
    expect(codeOf(() => checkWebhookUrl(url, prod))).toBe('webhook_url_invalid');
  });

  it.each([
    'http://127.0.0.1:8080/',
    'http://127.1/',
    'http://0x7f.1/',
    'http://2130706433/',
    'http://[::1]/',
    'http://[::ffff:127.0.0.1]/',
    'http://10.1.2.3/',
    'http://172.20.0.1/',
    'http://192.168.1.10/',
    'http://169.254.169.254/latest/meta-data/',
    'http://100.64.0.1/',
    'http://0.0.0.0/',
    'http://[fd00::1]/',
    'http://[fe80::1]/',
    'http://localhost:3000/',
    'http://api.localhost/',
    'http://printer.local/',
    'http://metadata.google.internal/',
    'http://intranet/',
  ])('refuses the private or local host of %s in production, allows it when WEBHOOK_ALLOW_PRIVATE is on', (url) => {
    expect(codeOf(() => checkWebhookUrl(url, prod))).toBe('webhook_url_invalid');
    expect(codeOf(() => checkWebhookUrl(url, dev))).toBeUndefined();
  });

  it('tells private from public addresses', () => {
    for (const a of ['127.0.0.1', '10.0.0.1', '::1', '::ffff:10.0.0.1', 'fc00::1', '224.0.0.1', '255.255.255.255']) {
      expect(isPrivateAddress(a), a).toBe(true);
    }
    for (const a of ['8.8.8.8', '1.1.1.1', '2001:4860:4860::8888', '172.32.0.1', 'example.com']) {
      expect(isPrivateAddress(a), a).toBe(false);
    }
  });
});

describe('webhook subscriptions', () => {
  it('keeps known events and * once each, in order', () => {
    expect(normalizeSubscriptions(['refund.created', 'refund.failed', 'refund.created'])).toEqual([
      'refund.created',
      'refund.failed',
    ]);
    expect(normalizeSubscriptions(['*'])).toEqual(['*']);
  });

  it('refuses unknown events and an empty list', () => {
    expect(codeOf(() => normalizeSubscriptions(['refund.exploded']))).toBe('webhook_event_unknown');
    expect(codeOf(() => normalizeSubscriptions(['Refund.Created']))).toBe('webhook_event_unknown');
    expect(codeOf(() => normalizeSubscriptions([]))).toBe('webhook_event_unknown');
  });

  it('matches an event by name or by *', () => {
    expect(subscribes(['refund.created'], 'refund.created')).toBe(true);
    expect(subscribes(['refund.created'], 'refund.failed')).toBe(false);
    expect(subscribes(['*'], 'dispute.opened')).toBe(true);
  });

  it('knows a well-formed event name', () => {
    expect(isEventTypeName('refund.created')).toBe(true);
    expect(isEventTypeName('dispute.resolved')).toBe(true);
    for (const bad of ['', 'refund', '*', 'Refund.created', 'refund..x', 'refund.created ', `a.${'b'.repeat(70)}`]) {
      expect(isEventTypeName(bad), bad).toBe(false);
    }
  });
});

describe('webhook retries', () => {
  it('waits 30 s, 1 min, 2 min, 4 min … and never more than an hour', () => {
    expect([1, 2, 3, 4, 5, 6, 7, 8, 9, 50].map((n) => retryDelayMs(n) / 1000)).toEqual([
      30, 60, 120, 240, 480, 960, 1920, 3600, 3600, 3600,
    ]);
  });

  it('gives up when the next attempt would fall more than 24 hours after the event', () => {
    const created = new Date('2026-03-02T08:00:00.000Z');
    const late = new Date(created.getTime() + DELIVERY_WINDOW_MS - 10 * 60_000);
    expect(nextAttemptAt(created, 1, created)?.toISOString()).toBe('2026-03-02T08:00:30.000Z');
    expect(nextAttemptAt(created, 20, late)).toBeUndefined();
    expect(nextAttemptAt(created, 1, late)?.getTime()).toBe(late.getTime() + 30_000);
  });
});
