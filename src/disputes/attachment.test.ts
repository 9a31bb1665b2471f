import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { AppError } from '../errors.js';
import { MAX_ATTACHMENT_BYTES, validateAttachment, validateAttachments } from './attachment.js';

const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);
const JPEG = Buffer.from([0xff, 0xd8, 0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0x00, 0xff, 0xd9]);
const PDF = Buffer.from('%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n');

const b64 = (b: Buffer | string) => Buffer.from(b).toString('base64');

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
    return undefined;
  } catch (e) {
    return e instanceof AppError ? e.code : `not an AppError: ${String(e)}`;
  }
}

describe('dispute attachments', () => {
  it('accepts png, jpeg, pdf and UTF-8 text whose bytes match the type, with size and SHA-256', () => {
    for (const [contentType, data] of [
      ['image/png', PNG],
      ['image/jpeg', JPEG],
      ['application/pdf', PDF],
      ['text/plain', Buffer.from('收据丢了，这是银行短信截图的文字。')],
    ] as const) {
      const a = validateAttachment({ filename: 'evidence', contentType, dataBase64: b64(data) });
      expect(a.contentType).toBe(contentType);
      expect(a.size).toBe(data.length);
      expect(a.sha256).toBe(createHash('sha256').update(data).digest('hex'));
      expect(a.data.equals(data)).toBe(true);
    }
  });

  it('refuses other types: html, svg, executables, octet-stream', () => {
    for (const contentType of [
      'text/html',
      'image/svg+xml',
      'application/x-msdownload',
      'application/octet-stream',
      'image/gif',
    ]) {
      expect(codeOf(() => validateAttachment({ filename: 'x', contentType, dataBase64: b64(PNG) }))).toBe(
        'attachment_type_not_allowed',
      );
    }
  });

  it('refuses bytes that do not match the declared type (magic bytes)', () => {
    const cases: Array<[string, Buffer]> = [
      ['image/png', JPEG],
      ['image/jpeg', PNG],
      ['application/pdf', Buffer.from('<html><script>alert(1)</script></html>')],
      ['image/png', Buffer.from('MZ\x90\x00 this is an exe')],
      ['text/plain', Buffer.from([0x68, 0x69, 0x00, 0x01])],
      ['text/plain', Buffer.from([0xc3, 0x28])],
    ];
    for (const [contentType, data] of cases) {
      expect(
        codeOf(() => validateAttachment({ filename: 'x', contentType, dataBase64: b64(data) })),
        contentType,
      ).toBe('attachment_content_mismatch');
    }
  });

  it('refuses an empty file and one over 1 MiB, and accepts exactly 1 MiB', () => {
    const exact = Buffer.alloc(MAX_ATTACHMENT_BYTES, 0x61);
    expect(validateAttachment({ filename: 'a.txt', contentType: 'text/plain', dataBase64: b64(exact) }).size).toBe(
      MAX_ATTACHMENT_BYTES,
    );
    const over = Buffer.concat([PDF, Buffer.alloc(MAX_ATTACHMENT_BYTES)]);
    expect(
      codeOf(() => validateAttachment({ filename: 'a.pdf', contentType: 'application/pdf', dataBase64: b64(over) })),
    ).toBe('attachment_too_large');
    expect(codeOf(() => validateAttachment({ filename: 'a.txt', contentType: 'text/plain', dataBase64: '' }))).toBe(
      'attachment_too_large',
    );
  });

  it('refuses file names with paths or control characters, and data that is not base64', () => {
    for (const filename of ['../../etc/passwd', 'a\\b.png', 'a\u0000.png', '..', ' ', 'x'.repeat(121)]) {
      expect(
        codeOf(() => validateAttachment({ filename, contentType: 'image/png', dataBase64: b64(PNG) })),
        filename,
      ).toBe('attachment_type_not_allowed');
    }
    expect(
      codeOf(() => validateAttachment({ filename: 'a.png', contentType: 'image/png', dataBase64: 'not base64!' })),
    ).toBe('validation_failed');
  });

  it('takes at most 3 attachments per message', () => {
    const one = { filename: 'a.png', contentType: 'image/png', dataBase64: b64(PNG) };
    expect(validateAttachments([one, one, one])).toHaveLength(3);
    expect(codeOf(() => validateAttachments([one, one, one, one]))).toBe('validation_failed');
  });
});
