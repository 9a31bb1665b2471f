import { createHash } from 'node:crypto';
import * as errors from './dispute.errors.js';

/**
 * Dispute attachments: small evidence files (a photo of the goods, a receipt, a letter) kept in the
 * database with the thread. Pure rules: which types, how large, and whether the bytes are what the
 * declared type says (a file called photo.png that is really an executable is refused).
 */
export const ATTACHMENT_TYPES = ['image/png', 'image/jpeg', 'application/pdf', 'text/plain'] as const;
export type AttachmentType = (typeof ATTACHMENT_TYPES)[number];

export const MAX_ATTACHMENT_BYTES = 1024 * 1024;
export const MAX_ATTACHMENTS_PER_MESSAGE = 3;
export const MAX_FILENAME_CHARS = 120;

/** Base64 of the largest attachment, for the request schema: 4 characters per 3 bytes. */
export const MAX_ATTACHMENT_BASE64_CHARS = Math.ceil(MAX_ATTACHMENT_BYTES / 3) * 4;

/** Body limit of a message request: every attachment at its largest, plus the JSON around them. */
export const MESSAGE_BODY_LIMIT_BYTES = MAX_ATTACHMENTS_PER_MESSAGE * (MAX_ATTACHMENT_BASE64_CHARS + 1024) + 64 * 1024;

const SIGNATURES: Record<Exclude<AttachmentType, 'text/plain'>, readonly number[]> = {
  'image/png': [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a],
  'image/jpeg': [0xff, 0xd8, 0xff],
  'application/pdf': [0x25, 0x50, 0x44, 0x46, 0x2d], // %PDF-
};

export interface AttachmentInput {
  filename: string;
  contentType: string;
  dataBase64: string;
}

export interface ValidAttachment {
  filename: string;
  contentType: AttachmentType;
  data: Buffer;
  size: number;
  sha256: string;
}

const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
// Path separators, control characters and the characters Windows refuses; the name is shown and
// offered as a download name, never used as a path.
// biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are exactly what is refused
const BAD_FILENAME = /[\u0000-\u001f\u007f/\\:*?"<>|]/;

function startsWith(data: Buffer, signature: readonly number[]): boolean {
  return data.length >= signature.length && signature.every((b, i) => data[i] === b);
}

function isUtf8Text(data: Buffer): boolean {
  if (data.includes(0)) return false;
  try {
    new TextDecoder('utf-8', { fatal: true }).decode(data);
    return true;
  } catch {
    return false;
  }
}

/**
 * Checks one attachment and returns its bytes with their size and SHA-256.
 * @throws attachment_type_not_allowed, attachment_too_large, attachment_content_mismatch,
 *   validation_failed (not base64)
 */
export function validateAttachment(input: AttachmentInput, path = 'body.attachments.0'): ValidAttachment {
  const contentType = input.contentType.trim().toLowerCase();
  if (!(ATTACHMENT_TYPES as readonly string[]).includes(contentType)) {
    throw errors.attachmentTypeNotAllowed(`${input.contentType} is not accepted; send ${ATTACHMENT_TYPES.join(', ')}`);
  }
  const filename = input.filename.trim();
  if (
    filename === '' ||
    filename.length > MAX_FILENAME_CHARS ||
    BAD_FILENAME.test(filename) ||
    /^\.+$/.test(filename)
  ) {
    throw errors.attachmentTypeNotAllowed(
      `the file name must be 1–${MAX_FILENAME_CHARS} characters without path separators or control characters`,
    );
  }
  if (input.dataBase64.length > MAX_ATTACHMENT_BASE64_CHARS + 4) {
    throw errors.attachmentTooLarge(`${filename} is larger than ${MAX_ATTACHMENT_BYTES} bytes`, MAX_ATTACHMENT_BYTES);
  }
  if (!STRICT_BASE64.test(input.dataBase64)) {
    throw errors.attachmentInvalid(`${path}.dataBase64`, `${filename}: dataBase64 is not base64`);
  }
  const data = Buffer.from(input.dataBase64, 'base64');
  if (data.length === 0 || data.length > MAX_ATTACHMENT_BYTES) {
    throw errors.attachmentTooLarge(
      data.length === 0 ? `${filename} is empty` : `${filename} is larger than ${MAX_ATTACHMENT_BYTES} bytes`,
      MAX_ATTACHMENT_BYTES,
    );
  }
  const type = contentType as AttachmentType;
  const matches = type === 'text/plain' ? isUtf8Text(data) : startsWith(data, SIGNATURES[type]);
  if (!matches) {
    throw errors.attachmentContentMismatch(
      type === 'text/plain' ? `${filename} is not UTF-8 text` : `${filename} does not start with the ${type} signature`,
    );
  }
  return {
    filename,
    contentType: type,
    data,
    size: data.length,
    sha256: createHash('sha256').update(data).digest('hex'),
  };
}

/** @throws as validateAttachment, and validation_failed for too many attachments */
export function validateAttachments(inputs: readonly AttachmentInput[]): ValidAttachment[] {
  if (inputs.length > MAX_ATTACHMENTS_PER_MESSAGE) {
    throw errors.attachmentInvalid(
      'body.attachments',
      `at most ${MAX_ATTACHMENTS_PER_MESSAGE} attachments per message`,
    );
  }
  return inputs.map((a, i) => validateAttachment(a, `body.attachments.${i}`));
}
