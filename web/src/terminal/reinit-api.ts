import { api, ok } from '../api/client';

/** 重新初始化: the serial twice and the supervisor's own password; answers the one-time activation code. */
export const reinitialize = (
  terminalId: string,
  body: { confirmSerial: string; confirmSerialAgain: string; password: string },
) => ok(api.POST('/api/v1/terminals/{id}/reinitialize', { params: { path: { id: terminalId } }, body }));

/** Whether the merchant has a refund password (none after a re-initialisation). */
export const refundPasswordIsSet = async (merchantId: string) =>
  (await ok(api.GET('/api/v1/merchants/{id}/refund-password/status', { params: { path: { id: merchantId } } }))).set;

/** Sets the refund password while none is set: there is no current one to give. */
export const setRefundPassword = (merchantId: string, body: { newPassword: string; confirmPassword: string }) =>
  ok(api.PUT('/api/v1/merchants/{id}/refund-password', { params: { path: { id: merchantId } }, body }));
