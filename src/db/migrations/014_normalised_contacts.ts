import type { Kysely } from 'kysely';
import { normaliseEmail, normalisePhone } from '../../notifications/contact.js';

// Customers' contacts stored before the schemas normalised them (issue 8): phones become E.164
// (+86 when no country code was given), e-mails lower case. A phone that reaches nobody
// ("------", a run of spaces) becomes NULL, as the schema now refuses it. It reuses the live
// normalisation on purpose: the stored spelling must be the one tracking-by-contact compares with.
type Contacts = { id: string; customer_email: string | null; customer_phone: string | null };

async function normaliseTable(db: Kysely<unknown>, table: 'refunds' | 'disputes'): Promise<void> {
  const k = db as unknown as Kysely<Record<typeof table, Contacts>>;
  const rows = await k
    .selectFrom(table)
    .select(['id', 'customer_email', 'customer_phone'])
    .where((eb) => eb.or([eb('customer_email', 'is not', null), eb('customer_phone', 'is not', null)]))
    .execute();
  for (const row of rows) {
    const email = row.customer_email === null ? null : normaliseEmail(row.customer_email) || null;
    const phone = row.customer_phone === null ? null : normalisePhone(row.customer_phone);
    const next = { customer_email: email, customer_phone: phone === null || !phone.ok ? null : phone.phone };
    if (next.customer_email === row.customer_email && next.customer_phone === row.customer_phone) continue;
    await k.updateTable(table).set(next).where('id', '=', row.id).execute();
  }
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await normaliseTable(db, 'refunds');
  await normaliseTable(db, 'disputes');
}

// The original spellings are not kept: down leaves the normalised contacts as they are.
export async function down(): Promise<void> {}
