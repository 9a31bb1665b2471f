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
