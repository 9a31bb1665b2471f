import { formatTime, text } from '../notifications/notification.js';
import { registerTemplate } from '../notifications/notification.service.js';

const way = {
  'zh-CN': { agent: '代理商解锁码', code: '短信/邮件验证码' } as Record<string, string>,
  en: { agent: 'unlock codes from your POS agent', code: 'one-time codes (SMS / e-mail)' } as Record<string, string>,
};

/** The owner hears that a way of recovering the refund password locked after wrong entries. */
registerTemplate('recovery_locked', {
  subject: {
    'zh-CN': () => 'RefundDesk：退款密码找回已锁定',
    en: () => 'RefundDesk: refund password recovery is locked',
  },
  body: {
    'zh-CN': (d) =>
      `${text(d.merchantName)}找回退款密码时输入错误的${way['zh-CN'][text(d.method)] ?? text(d.method)}次数过多，` +
      `已锁定至 ${formatTime(d.until)}。如非本人操作，请联系收单机构。`,
    en: (d) =>
      `Too many wrong ${way.en[text(d.method)] ?? text(d.method)} were entered to recover the refund password of ` +
      `${text(d.merchantName)}; this way is locked until ${formatTime(d.until)}. If this was not you, contact your acquirer.`,
  },
});
