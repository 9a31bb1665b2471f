/** A page of a list, newest first: its items and the cursor of the next page (null on the last). */
export interface Page<T> {
  data: T[];
  nextCursor: string | null;
}

/**
 * The page from `limit + 1` rows read (one more than asked, to learn whether another page follows):
 * the first `limit`, mapped, and the last kept row's id as the next page's cursor when there were
 * more. Every list reads its rows this way (`before` the cursor, `limit + 1`).
 */
export function pageOf<R extends { id: string }, T = R>(
  rows: readonly R[],
  limit: number,
  map: (row: R) => T = (row) => row as unknown as T,
): Page<T> {
  const kept = rows.slice(0, limit);
  return { data: kept.map(map), nextCursor: rows.length > limit ? (kept.at(-1)?.id ?? null) : null };
}
