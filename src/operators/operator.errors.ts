import { AppError } from '../errors.js';

/** The operators domain's expected outcomes (柜员: a terminal's numbered staff). */

export const operatorCodeInvalid = () => new AppError('validation_failed', 'operator code is two digits, 00–99');

export const supervisorCodeReserved = () =>
  new AppError('validation_failed', 'operator 00 is the supervisor: add 01–99');

export const operatorExists = (code: string) =>
  new AppError('already_exists', `operator ${code} exists on this terminal`);

export const supervisorStays = () => new AppError('operator_not_deletable', 'the supervisor (00) stays');

export const cannotDeleteSelf = () =>
  new AppError('operator_not_deletable', 'the operator signed on cannot delete itself');

export const operatorHasUnsettled = () => new AppError('operator_has_unsettled');
