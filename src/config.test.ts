import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from './config.js';

describe('platform password-policy settings from the environment', () => {
  it('keeps the PCI DSS defaults: 5 failures, 30 minutes, 90 days', () => {
    expect(loadConfig({})).toMatchObject({ lockoutMaxFailures: 5, lockoutMinutes: 30, refundPasswordExpiryDays: 90 });
  });

  it('accepts values within the bounds a merchant’s override is held to, and 0 for an expiry that never comes', () => {
    const c = loadConfig({ LOCKOUT_MAX_FAILURES: '3', LOCKOUT_MINUTES: '1440', REFUND_PASSWORD_EXPIRY_DAYS: '15' });
    expect(c).toMatchObject({ lockoutMaxFailures: 3, lockoutMinutes: 1440, refundPasswordExpiryDays: 15 });
    expect(loadConfig({ LOCKOUT_MAX_FAILURES: '10', REFUND_PASSWORD_EXPIRY_DAYS: '0' })).toMatchObject({
      lockoutMaxFailures: 10,
      refundPasswordExpiryDays: 0,
    });
  });

  it.each([
    ['LOCKOUT_MAX_FAILURES', '11', /LOCKOUT_MAX_FAILURES must be 3–10 \(PCI DSS 8\.3\.4.*got "11"/],
    ['LOCKOUT_MAX_FAILURES', '1', /LOCKOUT_MAX_FAILURES must be 3–10/],
    ['LOCKOUT_MAX_FAILURES', '0', /LOCKOUT_MAX_FAILURES must be 3–10/],
    ['LOCKOUT_MAX_FAILURES', '1000000', /LOCKOUT_MAX_FAILURES must be 3–10/],
    ['LOCKOUT_MINUTES', '29', /LOCKOUT_MINUTES must be 30–1440 \(PCI DSS 8\.3\.4.*got "29"/],
    ['LOCKOUT_MINUTES', '0', /LOCKOUT_MINUTES must be 30–1440/],
    ['LOCKOUT_MINUTES', '1441', /LOCKOUT_MINUTES must be 30–1440/],
    [
      'REFUND_PASSWORD_EXPIRY_DAYS',
      '91',
      /REFUND_PASSWORD_EXPIRY_DAYS must be 15–90, or 0 for never \(PCI DSS 8\.3\.9/,
    ],
    ['REFUND_PASSWORD_EXPIRY_DAYS', '365', /REFUND_PASSWORD_EXPIRY_DAYS must be 15–90, or 0 for never/],
    ['REFUND_PASSWORD_EXPIRY_DAYS', '14', /REFUND_PASSWORD_EXPIRY_DAYS must be 15–90, or 0 for never/],
    ['LOCKOUT_MAX_FAILURES', 'five', /LOCKOUT_MAX_FAILURES must be a non-negative integer/],
  ])('refuses %s=%s with a message naming the setting and its bounds', (name, value, message) => {
    expect(() => loadConfig({ [name]: value })).toThrow(ConfigError);
    expect(() => loadConfig({ [name]: value })).toThrow(message);
  });
});

describe('PUBLIC_BASE_URL, the start of the customer’s tracking links', () => {
  it('defaults to the serve address, a wildcard host read as localhost', () => {
    expect(loadConfig({}).publicBaseUrl).toBe('http://127.0.0.1:8080');
    expect(loadConfig({ HOST: '0.0.0.0', PORT: '3000' }).publicBaseUrl).toBe('http://localhost:3000');
    expect(loadConfig({ HOST: '::1' }).publicBaseUrl).toBe('http://[::1]:8080');
  });

  it('takes an http(s) origin with an optional path, without its trailing slash', () => {
    expect(loadConfig({ PUBLIC_BASE_URL: 'https://refunds.example.com/' }).publicBaseUrl).toBe(
      'https://refunds.example.com',
    );
    expect(loadConfig({ PUBLIC_BASE_URL: 'https://example.com/desk' }).publicBaseUrl).toBe('https://example.com/desk');
  });

  it.each([
    ['ftp://example.com', /PUBLIC_BASE_URL must start with http: or https:/],
    ['not a url', /PUBLIC_BASE_URL is not a URL/],
    ['https://example.com/?a=1', /without query, fragment or credentials/],
    ['https://user:pw@example.com', /without query, fragment or credentials/],
  ])('refuses %s', (value, message) => {
    expect(() => loadConfig({ PUBLIC_BASE_URL: value })).toThrow(message);
  });
});

describe('METRICS_TOKEN, the bearer token /metrics asks for', () => {
  it('is unset by default (then /metrics answers this machine only), and taken as given when long enough', () => {
    expect(loadConfig({}).metricsToken).toBeUndefined();
    expect(loadConfig({ METRICS_TOKEN: 'prometheus-0123456789' }).metricsToken).toBe('prometheus-0123456789');
  });

  it.each(['short', 'has a space in it 0123', 'tab\there-0123456789'])('refuses %j', (value) => {
    expect(() => loadConfig({ METRICS_TOKEN: value })).toThrow(/METRICS_TOKEN must be at least 16 printable/);
  });
});
