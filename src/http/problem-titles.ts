import { type ErrorCode, errorCatalog } from '../errors.js';

export type ProblemLanguage = 'en' | 'zh-CN';

/**
 * The catalog's titles in Chinese, the words a cashier or a customer reads (the web app shows a
 * problem's `title` and keeps no table of its own). A code without a title here does not compile;
 * docs/errors.md lists them too, kept in step by test/http/error-catalog.test.ts.
 */
export const zhTitles: Record<ErrorCode, string> = {
  validation_failed: '请求内容不正确',
  malformed_json: '请求内容不是有效的 JSON',
  payload_too_large: '请求内容过大',
  unsupported_media_type: '请求内容须为 application/json',
  route_not_found: '没有这个接口',
  method_not_allowed: '此接口不支持该方法',
  rate_limited: '请求过于频繁, 请稍后再试',
  busy: '系统繁忙, 请稍后重试',
  unauthenticated: '请先登录',
  invalid_credentials: '账号或密码错误',
  contact_required: '请留下电子邮箱或手机号码',
  card_number_not_allowed: '此栏不能填写卡号',
  backup_corrupt: '备份文件已损坏',
  backup_truncated: '备份文件不完整',
  backup_key_required: '备份已加密, 请提供备份密钥',
  backup_key_wrong: '备份密钥不正确',
  backup_not_encrypted: '该备份未加密, 不需要备份密钥',
  backup_mismatch: '备份校验不通过',
  backup_from_newer_version: '该备份来自更新版本的 RefundDesk',
  backup_target_not_empty: '恢复目标中已有数据',
  backup_secret_key_mismatch: '服务器密钥与备份不符',
  backup_file_unavailable: '备份文件已不可用',
  forbidden: '您的角色无权进行此操作',
  insufficient_scope: 'API 密钥没有此操作的权限',
  metrics_token_required: '需要监控指标令牌',
  metrics_loopback_only: '监控指标仅对本机开放',
  not_found: '对象不存在, 或您无权查看',
  already_exists: '该对象已存在',
  currency_mismatch: '币种与原交易不符',
  invalid_card_number: '卡号无效',
  payment_not_refundable: '该交易不能退货',
  refund_exceeds_refundable: '退款金额超过可退金额',
  payment_not_voidable: '该交易不能撤销',
  terminal_required: '此交易须指定终端',
  batch_empty: '当前批次没有交易, 无需结算',
  operator_not_deletable: '主管和当前操作员不能删除',
  operator_has_unsettled: '有流水未结算',
  batch_not_settled: '当前批次有未结算的交易, 请先结算',
  refund_password_unset: '尚未设置退款密码, 请先设置新的退款密码',
  serial_confirmation_mismatch: '两次输入的终端号与本终端不符',
  step_up_password_invalid: '确认身份的密码错误',
  reinitialize_backup_failed: '重新初始化前的数据备份失败',
  terminal_reinitialized: '终端已重新初始化, 请重新签到',
  refund_password_invalid: '退款密码错误',
  refund_password_required: '请输入退款密码',
  payment_not_matched: '没有与参考号和卡号相符的交易',
  refund_window_expired: '已超过商户的退款期限',
  partial_refund_not_allowed: '商户只接受全额退款',
  refund_reason_not_accepted: '商户不接受此退款原因',
  invalid_transition: '当前状态不允许此操作',
  refund_failure_final: '退款已最终失败, 不能重试',
  idempotency_conflict: '该幂等键已用于另一个请求',
  idempotency_in_progress: '使用该幂等键的请求仍在处理中',
  password_too_short: '新密码太短',
  password_too_long: '新密码太长',
  password_not_digits: '退款密码只能是数字',
  password_trivial: '新密码太简单',
  password_common: '新密码是常用密码',
  password_personal_info: '新密码含有个人信息',
  password_too_weak: '新密码须同时含字母和数字',
  password_reused: '新密码近期用过',
  password_confirmation_mismatch: '两次密码输入不同',
  password_change_required: '请先修改密码',
  refund_password_expired: '退款密码已过期',
  refund_password_changed: '退款密码刚被修改, 请输入新的退款密码',
  locked: '错误次数过多, 已锁定',
  recovery_code_invalid: '验证码错误、已过期或已使用',
  unlock_code_invalid: '解锁码错误、已过期或已使用',
  challenge_invalid: '挑战码对此终端无效',
  dispute_not_allowed: '此退款或交易目前不能申诉',
  dispute_already_open: '该交易已有进行中的申诉',
  dispute_escalation_too_early: '申诉暂时还不能升级',
  dispute_not_settled: '此申诉尚无成功的退款',
  dispute_already_rated: '已评价过处理结果',
  attachment_type_not_allowed: '不接受此类附件',
  attachment_too_large: '附件过大',
  attachment_content_mismatch: '附件内容与其类型不符',
  share_link_expired: '分享链接已过期',
  webhook_url_invalid: '不允许使用此 Webhook 地址',
  webhook_event_unknown: '未知的 Webhook 事件类型',
  webhook_endpoint_limit: '商户的 Webhook 端点过多',
  internal_error: '系统内部错误',
};

/**
 * The language an `Accept-Language` header prefers among ours: the highest q wins, ties by order;
 * English when the header names neither (the API's language before this existed).
 */
export function problemLanguage(acceptLanguage: string | undefined): ProblemLanguage {
  let best: { lang: ProblemLanguage; q: number } | undefined;
  for (const part of (acceptLanguage ?? '').split(',')) {
    const [tag, ...params] = part.trim().toLowerCase().split(';');
    const qParam = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    const q = qParam ? Number(qParam.slice(2)) : 1;
    const lang: ProblemLanguage | undefined = tag.startsWith('zh') ? 'zh-CN' : tag.startsWith('en') ? 'en' : undefined;
    if (lang && Number.isFinite(q) && q > 0 && (!best || q > best.q)) best = { lang, q };
  }
  return best?.lang ?? 'en';
}

export function problemTitle(code: ErrorCode, lang: ProblemLanguage): string {
  return lang === 'zh-CN' ? zhTitles[code] : errorCatalog[code].title;
}
