import { type ChangeEvent, useId, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { ApiError } from '../api/client';
import { downloadAttachment, type NewAttachment } from './customer-api';
import { Alert, problemText } from './fields';

/**
 * Evidence for the thread: photos and PDFs. The limits are the API's (src/disputes/attachment.ts:
 * MAX_ATTACHMENT_BYTES, MAX_ATTACHMENTS_PER_MESSAGE, the image and PDF types); checked here first
 * so the customer reads the rule before a 1 MB upload is refused, and again by the server.
 */
export const MAX_ATTACHMENT_BYTES = 1024 * 1024;
export const MAX_ATTACHMENTS = 3;
const TYPES = ['image/png', 'image/jpeg', 'application/pdf'];

export function fileSize(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.ceil(bytes / 1024)} KB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

function base64Of(file: File): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result).replace(/^data:[^,]*,/, ''));
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(file);
  });
}

export interface Picked extends NewAttachment {
  size: number;
  /** Tells two picks of one file apart in the list. */
  key: number;
}
let picks = 0;

/** Chooses up to three files to send with the next message; refuses a wrong type or size in words. */
export function AttachmentPicker({
  files,
  onFiles,
  disabled,
}: {
  files: Picked[];
  onFiles: (files: Picked[]) => void;
  disabled?: boolean;
}) {
  const { t } = useTranslation();
  const hint = useId();
  const [error, setError] = useState<string>();
  const pick = async (e: ChangeEvent<HTMLInputElement>) => {
    const chosen = Array.from(e.target.files ?? []);
    e.target.value = '';
    setError(undefined);
    const next = [...files];
    for (const f of chosen) {
      if (next.length >= MAX_ATTACHMENTS) return setError(t('dispute.attach.tooMany', { n: MAX_ATTACHMENTS }));
      if (!TYPES.includes(f.type)) return setError(t('dispute.attach.wrongType', { name: f.name }));
      if (f.size > MAX_ATTACHMENT_BYTES) return setError(t('dispute.attach.tooLarge', { name: f.name }));
      next.push({ filename: f.name, contentType: f.type, dataBase64: await base64Of(f), size: f.size, key: ++picks });
      onFiles([...next]);
    }
  };
  return (
    <div className="attach">
      <label className="attach-pick">
        {t('dispute.attach.add')}
        <input
          type="file"
          name="attachments"
          accept={TYPES.join(',')}
          multiple
          disabled={disabled || files.length >= MAX_ATTACHMENTS}
          onChange={(e) => void pick(e)}
          aria-describedby={hint}
        />
      </label>
      <p id={hint} className="muted small">
        {t('dispute.attach.rule', { n: MAX_ATTACHMENTS })}
      </p>
      {files.length > 0 && (
        <ul className="attachments" aria-label={t('dispute.attach.chosen')}>
          {files.map((f) => (
            <li key={f.key}>
              <span>
                {f.filename} · {fileSize(f.size)}
              </span>
              <button
                type="button"
                className="link-button"
                onClick={() => onFiles(files.filter((x) => x.key !== f.key))}
                aria-label={t('dispute.attach.remove', { name: f.filename })}
              >
                {t('dispute.attach.removeShort')}
              </button>
            </li>
          ))}
        </ul>
      )}
      <Alert text={error} />
    </div>
  );
}

interface Stored {
  id: string;
  filename: string;
  contentType: string;
  size: number;
}

/** A message's attachments; each downloads with the secret in a header, never in a link. */
export function AttachmentList({
  disputeId,
  secret,
  attachments,
}: {
  disputeId: string;
  secret: string;
  attachments: Stored[];
}) {
  const { t } = useTranslation();
  const [error, setError] = useState<string>();
  if (attachments.length === 0) return null;
  const save = async (a: Stored) => {
    setError(undefined);
    try {
      const blob = await downloadAttachment(disputeId, a.id, secret);
      const url = URL.createObjectURL(blob);
      const link = document.createElement('a');
      link.href = url;
      link.download = a.filename;
      link.click();
      setTimeout(() => URL.revokeObjectURL(url), 0);
    } catch (e) {
      setError(e instanceof ApiError ? problemText(e) : t('app.offline'));
    }
  };
  return (
    <>
      <ul className="attachments" aria-label={t('dispute.attach.list')}>
        {attachments.map((a) => (
          <li key={a.id} data-attachment={a.filename}>
            <button type="button" className="link-button" onClick={() => void save(a)}>
              {a.filename}
            </button>
            <span className="muted small">{fileSize(a.size)}</span>
          </li>
        ))}
      </ul>
      <Alert text={error} />
    </>
  );
}
