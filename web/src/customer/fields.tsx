import type { TextareaHTMLAttributes } from 'react';

/** The problem of the last action, read out by screen readers; nothing when there is none. */
export function Alert({ text }: { text: string | undefined }) {
  return text ? (
    <p role="alert" className="error">
      {text}
    </p>
  ) : null;
}

/** A labelled textarea bound to a string. */
export function TextField({
  label,
  value,
  onText,
  ...area
}: {
  label: string;
  value: string;
  onText: (text: string) => void;
} & Omit<TextareaHTMLAttributes<HTMLTextAreaElement>, 'value' | 'onChange'>) {
  return (
    <label>
      {label}
      <textarea rows={3} {...area} value={value} onChange={(e) => onText(e.target.value)} />
    </label>
  );
}
