/** The table types of this domain (one interface per table, matching `src/db/migrations/`; conventions in `src/db/schema.ts`). */
export interface SeedRunTable {
  name: string;
  started_at: string;
  completed_at: string | null;
}
