import { startSettlement } from './SettleScreens';
import { signOff } from './SignOnScreens';
import type { Ctx, Screens } from './screen';

/** The main menu: `1 消费 2 撤销 3 退货 4 查询 5 结算 6 打印 7 管理 8 签退`, numbered keys or ↑ ↓ and 确认. */

export const MENU = ['sale', 'void', 'refund', 'query', 'settle', 'print', 'manage', 'signOff'] as const;

function choose(ctx: Ctx, item: (typeof MENU)[number]) {
  const { t } = ctx;
  switch (item) {
    case 'sale':
      return ctx.go({ kind: 'amount', digits: '' });
    case 'void':
    case 'refund':
      return ctx.go({ kind: 'refundPassword', flow: item, digits: '' });
    case 'query':
      return ctx.go({ kind: 'query' });
    case 'settle':
      return void startSettlement(ctx);
    case 'print':
      return ctx.go({ kind: 'printMenu' });
    case 'manage':
      if (ctx.operator?.role !== 'supervisor')
        return ctx.go({
          kind: 'message',
          tone: 'error',
          lines: [t('terminal.manageSupervisorOnly')],
          next: ctx.home(),
        });
      return ctx.go({ kind: 'manage' });
    case 'signOff':
      return void signOff(ctx, [t('terminal.signedOff')]);
  }
}

export const menuScreens: Screens<'menu'> = {
  menu: {
    render: (s, { t }) => (
      <>
        <h1 className="screen-title">{t('terminal.menuTitle')}</h1>
        <ol className="menu">
          {MENU.map((item, i) => (
            <li key={item} className={i === s.cursor ? 'is-selected' : ''}>
              {i + 1} {t(`terminal.menu.${item}`)}
            </li>
          ))}
        </ol>
      </>
    ),
    press: (s, key, ctx) => {
      const n = Number(key);
      if (key !== '0' && key !== '00' && n >= 1 && n <= MENU.length) return choose(ctx, MENU[n - 1]);
      if (key === 'up' || key === 'down') {
        const step = key === 'up' ? -1 : 1;
        return ctx.go({ kind: 'menu', cursor: (s.cursor + step + MENU.length) % MENU.length });
      }
      if (key === 'enter') return choose(ctx, MENU[s.cursor]);
    },
  },
};
