import { TOKENISER_VERSION } from '../lexical/tokenise.ts';
import type { Database } from './database.ts';
import { lexicalColumns, termBagColumns } from '../lexical/stored-terms.ts';

const BATCH = 500;

/**
 * Gives chunks without terms their terms, batch by batch; each batch's live chunks count in the
 * statistics as it commits. Chunks lack terms when they were stored before the lexical index
 * (migration 3) or by another TOKENISER_VERSION (whose terms are cleared first, since queries
 * are tokenised by this one). Terms come from the TypeScript tokeniser, so this cannot be SQL
 * in a migration. Cheap when there is nothing to do (a partial index holds exactly the rows
 * without terms). Returns how many chunks it indexed.
 */
export async function backfillLexicalTerms(db: Database): Promise<number> {
  await db.transaction(async (client) => {
    const { rows } = await client.query<{ tokeniser: string }>(
      `SELECT tokeniser FROM ${db.table('lexical_corpus')} FOR UPDATE`,
    );
    if (rows[0]!.tokeniser === TOKENISER_VERSION) return;
    // No chunk has terms now, so none counts.
    await client.query(
      `UPDATE ${db.table('chunks')} SET lexemes = NULL, term_freqs = NULL, lexical_length = NULL WHERE lexemes IS NOT NULL`,
    );
    await client.query(`DELETE FROM ${db.table('lexical_terms')}`);
    await client.query(`UPDATE ${db.table('lexical_corpus')} SET tokeniser = $1, chunk_count = 0, total_length = 0`, [
      TOKENISER_VERSION,
    ]);
  });
  let indexed = 0;
  for (;;) {
    const done = await db.transaction(async (client) => {
      const { rows } = await client.query<{ id: string; text: string }>(
        `SELECT id::text AS id, text FROM ${db.table('chunks')} WHERE lexemes IS NULL ORDER BY id LIMIT ${BATCH} FOR UPDATE SKIP LOCKED`,
      );
      if (rows.length === 0) return 0;
      const ids = rows.map((row) => row.id);
      await client.query(
        `UPDATE ${db.table('chunks')} c SET lexemes = u.lexemes::text[], term_freqs = u.term_freqs::int[], lexical_length = u.lexical_length
           FROM unnest($1::bigint[], $2::text[], $3::text[], $4::int[]) AS u(id, lexemes, term_freqs, lexical_length)
          WHERE c.id = u.id`,
        [ids, ...termBagColumns(rows.map((row) => lexicalColumns(row.text)))],
      );
      await client.query(`SELECT ${db.table('lexical_stats_add')}($1::bigint[])`, [ids]);
      return rows.length;
    });
    indexed += done;
    if (done < BATCH) return indexed;
  }
}
