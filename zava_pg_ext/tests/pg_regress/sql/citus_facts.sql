-- The schema facts docs/operations.md ("The Citus path") relies on. When one
-- of these changes, the doc changes with it.
\c - postgres
CREATE TEMP VIEW retail_tables AS
SELECT c.oid, c.relname,
       (SELECT array_agg(a.attname::text ORDER BY k.ord)
          FROM pg_constraint x CROSS JOIN LATERAL unnest(x.conkey) WITH ORDINALITY k(att, ord)
          JOIN pg_attribute a ON a.attrelid = x.conrelid AND a.attnum = k.att
         WHERE x.conrelid = c.oid AND x.contype = 'p') AS pk,
       EXISTS (SELECT FROM pg_attribute a WHERE a.attrelid = c.oid AND a.attname = 'store_id' AND NOT a.attisdropped) AS has_store_id
  FROM pg_class c WHERE c.relnamespace = 'retail'::regnamespace AND c.relkind = 'r';
-- Distributed by store_id: store_id leads the primary key.
SELECT relname, pk[1] = 'store_id' AS store_id_leads_pk FROM retail_tables
 WHERE has_store_id AND relname NOT IN ('stores', 'customers') ORDER BY relname;
-- Reference tables: no store_id at all (stores is keyed by it); the chain rollups have none either.
SELECT relname, pk FROM retail_tables WHERE NOT has_store_id ORDER BY relname;
-- Customers: their own key, a home store_id outside it.
SELECT pk, has_store_id FROM retail_tables WHERE relname = 'customers';
-- orders: a unique constraint without the distribution column.
SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint
 WHERE conrelid = 'retail.orders'::regclass AND contype = 'u' ORDER BY conname;
-- Foreign keys between retail tables, and whether store_id is part of each.
SELECT conrelid::regclass AS from_table, confrelid::regclass AS to_table,
       'store_id' = ANY (SELECT attname FROM pg_attribute WHERE attrelid = conrelid AND attnum = ANY (conkey)) AS with_store_id
  FROM pg_constraint
 WHERE contype = 'f' AND connamespace = 'retail'::regnamespace
 ORDER BY conrelid::regclass::text, confrelid::regclass::text, conname;
