import { AppError } from '../errors.js';

/** A backup file that cannot be trusted: nothing of it is loaded. */
export const backupCorrupt = (why: string) => new AppError('backup_corrupt', `the backup is damaged: ${why}`);

export const backupTruncated = () =>
  new AppError('backup_truncated', 'the backup is truncated: it ends before its last part (an interrupted copy?)');

export const backupKeyRequired = () =>
  new AppError('backup_key_required', 'the backup is encrypted: set BACKUP_KEY to its passphrase');

export const backupKeyWrong = () =>
  new AppError('backup_key_wrong', 'BACKUP_KEY is not the passphrase this backup was encrypted with');

export const backupNotEncrypted = () =>
  new AppError('backup_not_encrypted', 'BACKUP_KEY is set but this backup is not encrypted: unset it');

/** A table hash, a row count or an audit chain of the backup does not match; names the first. */
export const backupMismatch = (what: string) => new AppError('backup_mismatch', `verification failed: ${what}`);

export const backupNewerVersion = (what: string) =>
  new AppError('backup_from_newer_version', `${what}: upgrade RefundDesk before restoring it`);

export const backupTargetNotEmpty = (target: string) =>
  new AppError(
    'backup_target_not_empty',
    `${target} already holds RefundDesk data; restore into an empty database, or add --force to drop RefundDesk's tables there first`,
  );

export const backupSecretKeyMismatch = (why: string) => new AppError('backup_secret_key_mismatch', why);

export const backupFileGone = () =>
  new AppError('backup_file_unavailable', 'the backup file is no longer there (rotated away, or the run failed)');
