/** The table types of this domain (one interface per table, matching `src/db/migrations/`; conventions in `src/db/schema.ts`). */
export interface RateCounterTable {
  bucket: string;
  window_start: string;
  count: number;
}
