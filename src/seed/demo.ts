import type { Actor } from '../auth/actor.js';
import * as users from '../auth/user.service.js';
import type { AppContext } from '../context.js';
import type { Db } from '../db/connect.js';
import { transaction } from '../db/transaction.js';
import * as merchants from '../merchants/merchant.service.js';
import * as operators from '../operators/operator.service.js';
import * as payments from '../payments/payment.service.js';
import { TEST_CARDS } from '../payments/processor.js';
import * as settlement from '../payments/settlement.service.js';
import * as terminals from '../terminals/terminal.service.js';
import * as seeds from './seed.repository.js';

/**
 * The demo data listed in the README. Acceptance checks rely on these exact values; change them
 * only together with the README.
 */
export const DEMO = {
  owner: { email: 'owner@merchant.demo', password: 'Owner-Demo-2026!' },
  reviewer: { email: 'reviewer@acquirer.demo', password: 'Reviewer-Demo-2026!' },
  agent: { email: 'agent@agent.demo', password: 'Agent-Demo-2026!' },
  admin: { email: 'admin@platform.demo', password: 'Admin-Demo-2026!' },
  terminal: {
    serial: 'T-0001',
    cashier: { code: '01', password: '4826' },
    supervisor: { code: '00', password: '519370' },
  },
  refundPassword: '731946',
  other: {
    owner: { email: 'owner@other.demo', password: 'Other-Owner-2026!' },
    terminal: {
      serial: 'T-0002',
      cashier: { code: '01', password: '3391' },
      supervisor: { code: '00', password: '802614' },
    },
    refundPassword: '604825',
  },
} as const;

export interface DemoIds {
  acquirerId: string;
  agentId: string;
  merchantId: string;
  terminalId: string;
  otherMerchantId: string;
  otherTerminalId: string;
}

/**
 * Seeds the demo once, and returns its ids; undefined when it was already there. Of several
 * processes starting on one empty database, the one that claims the seed makes it and the others
 * wait for it to finish.
 * @throws Error when an earlier seed was cut off half-way (its claim never completed)
 */
export async function seedDemo(
  db: Db,
  ctx: AppContext,
  wait = { timeoutMs: 60_000, pollMs: 200 },
): Promise<DemoIds | undefined> {
  const kysely = db.kysely;
  if (!(await seeds.claimSeed(kysely, 'demo', new Date().toISOString()))) {
    const deadline = Date.now() + wait.timeoutMs;
    for (;;) {
      const run = await seeds.findSeed(kysely, 'demo');
      if (run?.completed_at) return undefined;
      if (Date.now() >= deadline) {
        throw new Error(
          `the demo seed started at ${run?.started_at} never finished (the process stopped half-way?): ` +
            'start from an empty database (demo data only), or set SEED_DEMO=off',
        );
      }
      await new Promise((r) => setTimeout(r, wait.pollMs));
    }
  }
  // A database seeded before seeds were recorded already has the demo.
  const seeded = await terminals.findTerminalBySerial(db.kysely, DEMO.terminal.serial);
  const ids = seeded ? undefined : await seedDemoData(db, ctx);
  await seeds.completeSeed(kysely, 'demo', new Date().toISOString());
  return ids;
}

/** The README's demo logins are fixed, so they skip the console password rules (see createUser). */
const DEMO_LOGINS = { demo: true };

async function seedDemoData(db: Db, ctx: AppContext): Promise<DemoIds> {
  const acquirer = await transaction(db, (tx) => merchants.createAcquirer(tx, ctx, 'Demo Acquirer / 演示收单机构'));
  const agent = await transaction(db, (tx) => merchants.createAgent(tx, ctx, 'Demo POS Agent / 演示代理商'));
  const store = await merchants.createMerchant(db, ctx, {
    name: 'Demo Store / 演示商户',
    acquirerId: acquirer.id,
    language: 'zh-CN',
    email: DEMO.owner.email,
    phone: '13800138000',
    refundPassword: DEMO.refundPassword,
  });
  const t1 = await transaction(db, (tx) =>
    terminals.createTerminal(tx, ctx, { serial: DEMO.terminal.serial, merchantId: store.id, agentId: agent.id }),
  );
  const t1Operators = [];
  for (const op of [DEMO.terminal.supervisor, DEMO.terminal.cashier]) {
    t1Operators.push(await operators.addOperator(db, ctx, { terminalId: t1.id, code: op.code, password: op.password }));
  }
  const other = await merchants.createMerchant(db, ctx, {
    name: 'Other Shop / 另一商户',
    acquirerId: acquirer.id,
    language: 'en',
    email: DEMO.other.owner.email,
    phone: '13900139000',
    refundPassword: DEMO.other.refundPassword,
  });
  const t2 = await transaction(db, (tx) =>
    terminals.createTerminal(tx, ctx, { serial: DEMO.other.terminal.serial, merchantId: other.id, agentId: agent.id }),
  );
  for (const op of [DEMO.other.terminal.supervisor, DEMO.other.terminal.cashier]) {
    await operators.addOperator(db, ctx, { terminalId: t2.id, code: op.code, password: op.password });
  }
  await users.createUser(
    db,
    ctx,
    {
      ...DEMO.owner,
      name: 'Demo Store owner',
      role: 'merchant_owner',
      merchantId: store.id,
    },
    DEMO_LOGINS,
  );
  await users.createUser(
    db,
    ctx,
    {
      ...DEMO.other.owner,
      name: 'Other Shop owner',
      role: 'merchant_owner',
      merchantId: other.id,
    },
    DEMO_LOGINS,
  );
  await users.createUser(
    db,
    ctx,
    {
      ...DEMO.reviewer,
      name: 'Acquirer reviewer',
      role: 'acquirer_reviewer',
      acquirerId: acquirer.id,
    },
    DEMO_LOGINS,
  );
  await users.createUser(
    db,
    ctx,
    { ...DEMO.agent, name: 'Agent staff', role: 'agent_staff', agentId: agent.id },
    DEMO_LOGINS,
  );
  await users.createUser(db, ctx, { ...DEMO.admin, name: 'Platform admin', role: 'platform_admin' }, DEMO_LOGINS);
  await demoSales(db, ctx, t1Operators[1], acquirer.id);
  return {
    acquirerId: acquirer.id,
    agentId: agent.id,
    merchantId: store.id,
    terminalId: t1.id,
    otherMerchantId: other.id,
    otherTerminalId: t2.id,
  };
}

/**
 * A little history so the demo has something to refund: a settled batch of two sales, an open
 * batch with two more, and one sale where the money was taken but the processor reported failure
 * (the `payment_failure` refund reason).
 */
async function demoSales(db: Db, ctx: AppContext, cashier: operators.Operator, acquirerId: string): Promise<void> {
  const actor: Actor = {
    kind: 'operator',
    id: cashier.id,
    role: 'cashier',
    merchantId: cashier.merchantId,
    terminalId: cashier.terminalId,
    acquirerId,
    agentId: null,
    scopes: [],
    sessionId: null,
    mustChangePassword: false,
  };
  const sell = (amount: number, number: string) => payments.createPayment(db, ctx, actor, { amount, card: { number } });
  await sell(12_800, TEST_CARDS.approved);
  await sell(3_550, TEST_CARDS.approvedUnionPay);
  await settlement.settleTerminal(db, ctx, { ...actor, role: 'supervisor' }, cashier.terminalId);
  await sell(99_900, TEST_CARDS.approved);
  await sell(6_600, TEST_CARDS.chargedButFailed);
  await sell(25_000, TEST_CARDS.approvedUnionPay);
}
