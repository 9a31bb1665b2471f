/** The table types of this domain (one interface per table, matching `src/db/migrations/`; conventions in `src/db/schema.ts`). */
export interface SecretHistoryTable {
  id: string;
  secret_ref: string;
  hash: string;
  created_at: string;
}

export interface SecretLockoutTable {
  secret_ref: string;
  failures: number;
  locked_until: string | null;
  updated_at: string;
}
