/** `refunddesk-2026-03-02T08-00-00-000Z.rdbackup`: sorts by time, safe on every file system. */
export function backupFileName(at: Date): string {
  return `refunddesk-${at.toISOString().replace(/[:.]/g, '-')}.rdbackup`;
}

export const BACKUP_FILE_PATTERN = /^refunddesk-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z\.rdbackup$/;
