import { describe, expect, it } from 'vitest';
import {
  assertRenderable,
  findTemplate,
  formatTime,
  MASK,
  notificationLanguages,
  registerTemplate,
  render,
  renderMasked,
} from './notification.js';
import './templates.js';

const samples: Record<string, Record<string, unknown>> = {
  refund_password_changed: { merchantName: 'Demo Store', at: '2026-03-02T08:00:00.000Z' },
  refund_password_locked: { merchantName: 'Demo Store', until: '2026-03-02T08:30:00.000Z' },
  refund_password_reset: { merchantName: 'Demo Store', method: 'sms', at: '2026-03-02T08:00:00.000Z' },
  recovery_code: { code: '482913', minutes: 10 },
  password_expiring: { days: 7 },
};

describe('notification templates', () => {
  it.each(Object.keys(samples))('renders %s in Chinese and English, short and without placeholders', (name) => {
    expect(findTemplate(name)).toBeDefined();
    for (const lang of notificationLanguages) {
      const m = render(name, lang, samples[name]);
      expect(m.subject.length).toBeGreaterThan(0);
      expect(m.body.length).toBeLessThan(200);
      expect(`${m.subject} ${m.body}`).not.toMatch(/undefined|null|\$\{/);
    }
    expect(render(name, 'zh-CN', samples[name]).body).toMatch(/[\u4e00-\u9fff]/);
    expect(render(name, 'en', samples[name]).body).not.toMatch(/[\u4e00-\u9fff]/);
  });

  it('shows times in China Standard Time with the offset spelled out', () => {
    expect(formatTime('2026-03-02T20:15:00.000Z')).toBe('2026-03-03 04:15 (UTC+8)');
    expect(render('refund_password_changed', 'en', samples.refund_password_changed).body).toContain(
      '2026-03-02 16:00 (UTC+8)',
    );
    expect(formatTime('not a date')).toBe('not a date');
  });

  it('tells the recipient never to share a one-time code, in both languages', () => {
    expect(render('recovery_code', 'en', samples.recovery_code).body).toMatch(/Never share this code/);
    expect(render('recovery_code', 'zh-CN', samples.recovery_code).body).toMatch(/切勿将验证码告诉任何人/);
  });

  it('names the reset method in the reset message', () => {
    expect(render('refund_password_reset', 'en', { ...samples.refund_password_reset, method: 'agent' }).body).toMatch(
      /by your POS agent/,
    );
    expect(render('refund_password_reset', 'zh-CN', samples.refund_password_reset).body).toMatch(/短信验证码/);
  });
});

describe('masking', () => {
  it('replaces a one-time code with a fixed-width mask in the stored copy', () => {
    for (const lang of notificationLanguages) {
      const m = renderMasked('recovery_code', lang, { code: '482913', minutes: 10 });
      expect(m.body).toContain(MASK);
      expect(m.body).not.toContain('482913');
      expect(renderMasked('recovery_code', lang, { code: '12345678', minutes: 10 }).body).toBe(m.body);
    }
  });

  it('leaves messages without secrets unchanged', () => {
    const d = samples.refund_password_changed;
    expect(renderMasked('refund_password_changed', 'en', d)).toEqual(render('refund_password_changed', 'en', d));
  });

  it('refuses a template that leaks its secret through another field', () => {
    registerTemplate('test_leaky', {
      secrets: ['code'],
      subject: { 'zh-CN': () => 's', en: () => 's' },
      body: { 'zh-CN': (d) => `${d.code}`, en: (d) => `${d.copy}` },
    });
    expect(() => renderMasked('test_leaky', 'en', { code: '482913', copy: '482913' })).toThrow(/secret/);
  });
});

describe('assertRenderable', () => {
  const ok = { template: 'password_expiring', language: 'en' as const, channel: 'email' as const, to: 'a@b.test' };

  it('refuses data that carries a password', () => {
    for (const key of ['password', 'refundPassword', 'new_password', 'pin']) {
      expect(() => assertRenderable({ ...ok, data: { [key]: 'x' } })).toThrow(/password/);
    }
    expect(() => assertRenderable({ ...ok, data: { passwordChangedAt: 'x', days: 3 } })).not.toThrow();
  });

  it('refuses an unknown template, language or channel, and an empty recipient', () => {
    expect(() => assertRenderable({ ...ok, template: 'nope', data: {} })).toThrow(/template/);
    expect(() => assertRenderable({ ...ok, language: 'fr' as never, data: {} })).toThrow(/language/);
    expect(() => assertRenderable({ ...ok, channel: 'fax' as never, data: {} })).toThrow(/channel/);
    expect(() => assertRenderable({ ...ok, to: ' ', data: {} })).toThrow(/recipient/);
  });

  it('refuses to register a template missing a language', () => {
    expect(() =>
      registerTemplate('test_half', { subject: { en: () => 's' } as never, body: { en: () => 'b' } as never }),
    ).toThrow(/zh-CN/);
  });
});
