import { AppError } from '../errors.js';

export const batchNotSettled = (payments: number) =>
  new AppError(
    'batch_not_settled',
    `the open batch holds ${payments} payment${payments === 1 ? '' : 's'}: settle (结算) before re-initialising`,
  );
export const serialConfirmationMismatch = (detail: string) => new AppError('serial_confirmation_mismatch', detail);
export const reinitializeBackupFailed = (error: string | null | undefined) =>
  new AppError('reinitialize_backup_failed', `the backup failed, nothing was wiped: ${error ?? 'unknown error'}`);
export const terminalReinitialized = () =>
  new AppError('terminal_reinitialized', 'the terminal was re-initialised while this was in flight: sign on again');
export const terminalSerialExists = (serial: string) =>
  new AppError('already_exists', `terminal serial ${serial} exists`);
