/** The table types of this domain (one interface per table, matching `src/db/migrations/`; conventions in `src/db/schema.ts`). */
/** src/notifications/: `subject`/`body` are masked copies; `render_data` (sealed under the server key) exists only while a secret-bearing message waits or stays in the local outbox. */
export interface NotificationTable {
  id: string;
  merchant_id: string | null;
  channel: string;
  recipient: string;
  template: string;
  language: string;
  subject: string;
  body: string;
  render_data: string | null;
  dedupe_key: string;
  status: string;
  attempts: number;
  last_error: string | null;
  provider_message_id: string | null;
  sending_until: string | null;
  created_at: string;
  sent_at: string | null;
}
