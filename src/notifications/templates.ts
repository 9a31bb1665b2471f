import { formatTime, registerTemplate, type TemplateData, text } from './notification.js';

/**
 * The templates this folder ships. Short plain text: the same body goes out as an SMS or as an
 * e-mail. Other domains register theirs (refund status messages) with `registerTemplate`.
 */

const resetMethod = {
  'zh-CN': { agent: '代理商协助', sms: '短信验证码', email: '邮件验证码' } as Record<string, string>,
  en: { agent: 'by your POS agent', sms: 'with an SMS code', email: 'with an e-mail code' } as Record<string, string>,
};

const method = (lang: 'zh-CN' | 'en', d: TemplateData) => resetMethod[lang][text(d.method)] ?? text(d.method);

registerTemplate('refund_password_changed', {
  subject: {
    'zh-CN': () => 'RefundDesk：退款密码已修改',
    en: () => 'RefundDesk: your refund password was changed',
  },
  body: {
    'zh-CN': (d) =>
      `${text(d.merchantName)}的退款密码已于 ${formatTime(d.at)} 修改。如非本人操作，请立即联系收单机构。`,
    en: (d) =>
      `The refund password of ${text(d.merchantName)} was changed at ${formatTime(d.at)}. ` +
      'If this was not you, contact your acquirer at once.',
  },
});

registerTemplate('refund_password_locked', {
  subject: {
    'zh-CN': () => 'RefundDesk：退款密码已锁定',
    en: () => 'RefundDesk: your refund password is locked',
  },
  body: {
    'zh-CN': (d) =>
      `${text(d.merchantName)}的退款密码错误次数过多，已锁定至 ${formatTime(d.until)}。如非本人操作，请联系收单机构。`,
    en: (d) =>
      `Too many wrong refund passwords were entered for ${text(d.merchantName)}. ` +
      `Refunds are locked until ${formatTime(d.until)}. If this was not you, contact your acquirer.`,
  },
});

registerTemplate('refund_password_reset', {
  subject: {
    'zh-CN': () => 'RefundDesk：退款密码已重置',
    en: () => 'RefundDesk: your refund password was reset',
  },
  body: {
    'zh-CN': (d) =>
      `${text(d.merchantName)}的退款密码已于 ${formatTime(d.at)} 通过${method('zh-CN', d)}重置。` +
      '如非本人操作，请立即联系收单机构。',
    en: (d) =>
      `The refund password of ${text(d.merchantName)} was reset ${method('en', d)} at ${formatTime(d.at)}. ` +
      'If this was not you, contact your acquirer at once.',
  },
});

registerTemplate('recovery_code', {
  secrets: ['code'],
  subject: {
    'zh-CN': () => 'RefundDesk 验证码',
    en: () => 'Your RefundDesk verification code',
  },
  body: {
    'zh-CN': (d) =>
      `您的 RefundDesk 验证码是 ${text(d.code)}，${text(d.minutes)} 分钟内有效。切勿将验证码告诉任何人，包括客服人员。`,
    en: (d) =>
      `Your RefundDesk verification code is ${text(d.code)}. It expires in ${text(d.minutes)} minutes. ` +
      'Never share this code with anyone, including RefundDesk staff.',
  },
});

registerTemplate('password_expiring', {
  subject: {
    'zh-CN': () => 'RefundDesk：退款密码即将过期',
    en: () => 'RefundDesk: your refund password expires soon',
  },
  body: {
    'zh-CN': (d) => `您的退款密码将在 ${text(d.days)} 天后过期，请及时在商户后台修改。`,
    en: (d) => `Your refund password expires in ${text(d.days)} days. Change it in the merchant console before then.`,
  },
});

registerTemplate('terminal_reinitialized', {
  subject: {
    'zh-CN': (d) => `RefundDesk：终端 ${text(d.serial)} 已重新初始化`,
    en: (d) => `RefundDesk: terminal ${text(d.serial)} was re-initialised`,
  },
  body: {
    'zh-CN': (d) =>
      `${text(d.merchantName)}的终端 ${text(d.serial)} 已于 ${formatTime(d.at)} 由 ${text(d.by)} 重新初始化：` +
      '终端上的操作员及其密码、签到和解锁请求已清除，解锁密钥已更换，交易记录保留。商户的退款密码已失效，所有终端暂停退货、撤销和退款审批，' +
      '直到主管（00）或您设置新的退款密码。如非您授权的操作，请立即联系收单机构。',
    en: (d) =>
      `Terminal ${text(d.serial)} of ${text(d.merchantName)} was re-initialised at ${formatTime(d.at)} by ${text(d.by)}: ` +
      'its operators, their passwords, its sessions and unlock challenges were wiped and its unlock key replaced; the transaction records are kept. The merchant’s refund ' +
      'password is no longer set, so every terminal refuses refunds, voids and approvals until the supervisor (00) ' +
      'or you set a new one. If you did not authorise this, contact your acquirer at once.',
  },
});
