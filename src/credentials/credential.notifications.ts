import { formatTime, text } from '../notifications/notification.js';
import { registerTemplate } from '../notifications/notification.service.js';

/** The owner hears of a locked login of the merchant's people (refund-password locks have their own). */
registerTemplate('login_locked', {
  subject: {
    'zh-CN': () => 'RefundDesk：登录已锁定',
    en: () => 'RefundDesk: a login was locked',
  },
  body: {
    'zh-CN': (d) =>
      `${text(d.who)} 的登录密码错误次数过多，已锁定至 ${formatTime(d.until)}。如非本人操作，请检查终端并修改密码。`,
    en: (d) =>
      `Too many wrong passwords were entered for ${text(d.who)}; the login is locked until ${formatTime(d.until)}. ` +
      'If this was not them, check the terminal and change the password.',
  },
});
