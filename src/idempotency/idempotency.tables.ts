/** The table types of this domain (one interface per table, matching `src/db/migrations/`; conventions in `src/db/schema.ts`). */
export interface IdempotencyKeyTable {
  scope: string;
  key: string;
  request_hash: string;
  status_code: number;
  response_body: string;
  created_at: string;
}
