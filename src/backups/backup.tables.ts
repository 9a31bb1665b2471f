/** The table types of this domain (one interface per table, matching `src/db/migrations/`; conventions in `src/db/schema.ts`). */
/** src/backups/ (migration 020): one row per backup run; `slot` is unique per scheduled interval. */
export interface BackupRunTable {
  id: string;
  trigger: string;
  slot: string | null;
  status: string;
  file: string | null;
  bytes: number | null;
  encrypted: number;
  verified: number;
  error: string | null;
  requested_by: string | null;
  started_at: string;
  finished_at: string | null;
}
