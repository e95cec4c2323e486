-- Zava retail schema (loaded first by CREATE EXTENSION zava).
--
-- Ownership: every object here belongs to whoever ran CREATE EXTENSION
-- (normally a superuser, who bypasses RLS). Nothing that reads tenant rows on a
-- caller's behalf runs with those rights: the runtime roles below own nothing,
-- have no BYPASSRLS, and read through RLS policies (sql/security.sql).
--
-- Business days are in America/Los_Angeles (all stores are in Washington).

-- ---------------------------------------------------------------------------
-- Roles (cluster-wide: created once, kept by DROP EXTENSION; see docs/security.md)
-- ---------------------------------------------------------------------------
DO $roles$
DECLARE
    r text;
BEGIN
    FOREACH r IN ARRAY ARRAY['zava_reader', 'zava_head_office', 'zava_regional_manager',
                             'zava_store_manager', 'zava_agent', 'zava_gateway', 'zava_admin']
    LOOP
        IF NOT EXISTS (SELECT 1 FROM pg_catalog.pg_roles WHERE rolname = r) THEN
            EXECUTE pg_catalog.format('CREATE ROLE %I NOLOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOBYPASSRLS', r);
        END IF;
    END LOOP;
END
$roles$;
-- Principals of every kind read through zava_reader.
GRANT zava_reader TO zava_head_office, zava_regional_manager, zava_store_manager, zava_agent;
-- The bridge's login role is made a member of zava_gateway; it may switch down
-- to zava_agent (SET LOCAL ROLE) but zava_agent can never switch back up.
GRANT zava_agent TO zava_gateway;

COMMENT ON ROLE zava_reader IS 'Zava: read access to the retail schema, filtered by RLS to the caller''s principal';
COMMENT ON ROLE zava_agent IS 'Zava: the lesser role untrusted queries run as; cannot assert an identity';
COMMENT ON ROLE zava_gateway IS 'Zava: may assert a caller''s principal once per transaction (the MCP bridge''s login role is a member)';
COMMENT ON ROLE zava_admin IS 'Zava: administrators and loaders: write the retail tables, manage principals, load demo data';

CREATE SCHEMA retail;
COMMENT ON SCHEMA retail IS 'Zava retail data: reference tables readable by every principal, tenant tables filtered by store';

-- Keeps updated_at honest on every UPDATE.
CREATE FUNCTION zava.touch_updated_at() RETURNS trigger
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
BEGIN
    NEW.updated_at := pg_catalog.now();
    RETURN NEW;
END
$$;

-- ---------------------------------------------------------------------------
-- Reference tables
-- ---------------------------------------------------------------------------
CREATE TABLE retail.stores (
    store_id     uuid PRIMARY KEY,
    store_name   text NOT NULL UNIQUE CHECK (length(store_name) BETWEEN 1 AND 200),
    city         text NOT NULL,
    state        text NOT NULL DEFAULT 'WA',
    is_online    boolean NOT NULL DEFAULT false,
    square_feet  integer CHECK (square_feet > 0),
    opened_on    date,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now(),
    CHECK (is_online OR square_feet IS NOT NULL)
);

CREATE TABLE retail.categories (
    category_id   uuid PRIMARY KEY,
    category_name text NOT NULL UNIQUE CHECK (length(category_name) BETWEEN 1 AND 200),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE retail.product_types (
    type_id     uuid PRIMARY KEY,
    category_id uuid NOT NULL REFERENCES retail.categories,
    type_name   text NOT NULL CHECK (length(type_name) BETWEEN 1 AND 200),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (category_id, type_name)
);
CREATE INDEX ON retail.product_types (category_id);

CREATE TABLE retail.products (
    product_id          uuid PRIMARY KEY,
    sku                 text NOT NULL UNIQUE CHECK (length(sku) BETWEEN 1 AND 64),
    product_name        text NOT NULL CHECK (length(product_name) BETWEEN 1 AND 300),
    category_id         uuid NOT NULL REFERENCES retail.categories,
    type_id             uuid NOT NULL REFERENCES retail.product_types,
    product_description text NOT NULL,
    cost                numeric(12,2) NOT NULL CHECK (cost >= 0),
    base_price          numeric(12,2) NOT NULL CHECK (base_price >= 0),
    created_at          timestamptz NOT NULL DEFAULT now(),
    updated_at          timestamptz NOT NULL DEFAULT now(),
    -- Full-text search (0.2.0): always current, never dumped (generated).
    search_tsv          tsvector GENERATED ALWAYS AS (
                            to_tsvector('english', sku || ' ' || product_name || ' ' || product_description)) STORED
);
CREATE INDEX ON retail.products (category_id);
CREATE INDEX ON retail.products (type_id);
CREATE INDEX products_search_tsv ON retail.products USING gin (search_tsv);

-- One embedding per product (filled by the search feature). The model's name
-- sits beside the vector so a model change is visible and re-embeddable.
CREATE TABLE retail.product_description_embeddings (
    product_id            uuid PRIMARY KEY REFERENCES retail.products ON DELETE CASCADE,
    description_embedding vector(384) NOT NULL,
    model_name            text NOT NULL DEFAULT 'all-MiniLM-L6-v2',
    created_at            timestamptz NOT NULL DEFAULT now(),
    updated_at            timestamptz NOT NULL DEFAULT now(),
    -- md5 of the text the vector was made from (zava.embedding_text): a vector
    -- whose text changed since is stale, and search never uses it (0.2.0).
    source_md5            text
);
CREATE INDEX product_description_embeddings_hnsw
    ON retail.product_description_embeddings USING hnsw (description_embedding vector_cosine_ops);

-- ---------------------------------------------------------------------------
-- Tenant tables: every row carries store_id; per-store tables carry it in
-- their primary key so the schema can be distributed by store (Citus).
-- ---------------------------------------------------------------------------
-- Each customer's dense number, for the customer sets of the rollups, is in
-- zava.customer_numbers (sql/rollups.sql), which tenants cannot read (0.9.0).
CREATE TABLE retail.customers (
    customer_id uuid PRIMARY KEY,
    store_id    uuid NOT NULL REFERENCES retail.stores,  -- the customer's home store
    first_name  text NOT NULL,
    last_name   text NOT NULL,
    email       text NOT NULL UNIQUE CHECK (position('@' IN email) > 1),
    phone       text,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX ON retail.customers (store_id);
COMMENT ON COLUMN retail.customers.store_id IS 'Home store. A store manager sees the customers of their store and those who ordered there.';

CREATE TABLE retail.orders (
    store_id    uuid NOT NULL REFERENCES retail.stores,
    order_id    uuid NOT NULL,
    customer_id uuid NOT NULL REFERENCES retail.customers,
    ordered_at  timestamptz NOT NULL,
    -- The business day, in the stores' time zone.
    order_date  date NOT NULL GENERATED ALWAYS AS ((ordered_at AT TIME ZONE 'America/Los_Angeles')::date) STORED,
    status      text NOT NULL DEFAULT 'completed'
                CHECK (status IN ('pending', 'completed', 'cancelled', 'refunded')),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (store_id, order_id),
    UNIQUE (order_id)
);
CREATE INDEX ON retail.orders (store_id, order_date);
-- Covering: period scans (unique customers, new vs returning) read the index only.
CREATE INDEX ON retail.orders (order_date, store_id) INCLUDE (customer_id, status);
CREATE INDEX ON retail.orders (customer_id, store_id);
COMMENT ON COLUMN retail.orders.status IS 'pending: not yet fulfilled; completed: counts as a sale; cancelled: never fulfilled; refunded: fulfilled, then money returned.';

CREATE TABLE retail.order_items (
    store_id         uuid NOT NULL,
    order_item_id    uuid NOT NULL,
    order_id         uuid NOT NULL,
    product_id       uuid NOT NULL REFERENCES retail.products,
    quantity         integer NOT NULL CHECK (quantity > 0),
    unit_price       numeric(12,2) NOT NULL CHECK (unit_price >= 0),
    discount_percent numeric(5,2) NOT NULL DEFAULT 0 CHECK (discount_percent BETWEEN 0 AND 100),
    discount_amount  numeric(12,2) NOT NULL DEFAULT 0 CHECK (discount_amount >= 0),
    line_total       numeric(12,2) NOT NULL CHECK (line_total >= 0),
    -- Cost of goods at the time of sale, so margins never change after the fact.
    unit_cost        numeric(12,2) NOT NULL DEFAULT 0 CHECK (unit_cost >= 0),
    created_at       timestamptz NOT NULL DEFAULT now(),
    updated_at       timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (store_id, order_item_id),
    -- RESTRICT, not CASCADE: delete an order's lines first, so the rollup
    -- triggers can still see the order each line belonged to.
    FOREIGN KEY (store_id, order_id) REFERENCES retail.orders (store_id, order_id) ON DELETE RESTRICT,
    CHECK (discount_amount <= quantity * unit_price),
    CHECK (line_total = quantity * unit_price - discount_amount)
);
CREATE INDEX ON retail.order_items (store_id, order_id);
-- store_id second: a probe by product is bounded by the RLS predicate in the
-- index itself (an index condition), not filtered after the scan.
CREATE INDEX ON retail.order_items (product_id, store_id);

CREATE TABLE retail.inventory (
    store_id      uuid NOT NULL REFERENCES retail.stores,
    product_id    uuid NOT NULL REFERENCES retail.products,
    stock_level   integer NOT NULL CHECK (stock_level >= 0),
    reorder_point integer NOT NULL DEFAULT 0 CHECK (reorder_point >= 0),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (store_id, product_id)
);
CREATE INDEX ON retail.inventory (product_id, store_id);

-- ---------------------------------------------------------------------------
-- Principals: who may see which stores. Not readable by runtime roles at all;
-- the identity helpers read them with definer rights and return only ids.
-- ---------------------------------------------------------------------------
CREATE TABLE zava.principals (
    principal_id uuid PRIMARY KEY,
    kind         text NOT NULL CHECK (kind IN ('head_office', 'regional_manager', 'store_manager')),
    display_name text NOT NULL CHECK (length(display_name) BETWEEN 1 AND 200),
    active       boolean NOT NULL DEFAULT true,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);
COMMENT ON TABLE zava.principals IS 'Head office sees every store; a regional manager the stores listed in principal_stores; a store manager exactly one.';

CREATE TABLE zava.principal_stores (
    principal_id uuid NOT NULL REFERENCES zava.principals ON DELETE CASCADE,
    store_id     uuid NOT NULL REFERENCES retail.stores ON DELETE CASCADE,
    PRIMARY KEY (principal_id, store_id)
);

-- psql users: login role → principal (keyed on session_user's OID).
-- Keyed on the role itself (regrole: an OID, dumped and restored by name), not
-- on its name: a role dropped and created again with the same name is another
-- role and does not inherit the principal. (login_role is the last column
-- because 0.3.0 added it to tables made by 0.1.0/0.2.0; fresh = upgraded.)
CREATE TABLE zava.role_principals (
    principal_id uuid NOT NULL REFERENCES zava.principals ON DELETE CASCADE,
    created_at   timestamptz NOT NULL DEFAULT now(),
    login_role   regrole PRIMARY KEY
);

DO $touch$
DECLARE
    t text;
BEGIN
    FOREACH t IN ARRAY ARRAY['retail.stores', 'retail.categories', 'retail.product_types',
        'retail.products', 'retail.product_description_embeddings', 'retail.customers',
        'retail.orders', 'retail.order_items', 'retail.inventory', 'zava.principals']
    LOOP
        EXECUTE pg_catalog.format(
            'CREATE TRIGGER touch_updated_at BEFORE UPDATE ON %s FOR EACH ROW EXECUTE FUNCTION zava.touch_updated_at()', t);
    END LOOP;
END
$touch$;

-- Nothing lost: rows of extension-owned tables are only dumped by pg_dump when
-- registered here (the extension script inserts no rows, so no filter).
-- One statement each: every call updates pg_extension's row, which one statement may do only once.
SELECT pg_catalog.pg_extension_config_dump('retail.stores', '');
SELECT pg_catalog.pg_extension_config_dump('retail.categories', '');
SELECT pg_catalog.pg_extension_config_dump('retail.product_types', '');
SELECT pg_catalog.pg_extension_config_dump('retail.products', '');
SELECT pg_catalog.pg_extension_config_dump('retail.product_description_embeddings', '');
SELECT pg_catalog.pg_extension_config_dump('retail.customers', '');
SELECT pg_catalog.pg_extension_config_dump('retail.orders', '');
SELECT pg_catalog.pg_extension_config_dump('retail.order_items', '');
SELECT pg_catalog.pg_extension_config_dump('retail.inventory', '');
SELECT pg_catalog.pg_extension_config_dump('zava.principals', '');
SELECT pg_catalog.pg_extension_config_dump('zava.principal_stores', '');
SELECT pg_catalog.pg_extension_config_dump('zava.role_principals', '');

-- ---------------------------------------------------------------------------
-- Table privileges. Principals read; administrators write; nobody else.
-- ---------------------------------------------------------------------------
GRANT USAGE ON SCHEMA retail TO zava_reader, zava_admin;
GRANT USAGE ON SCHEMA zava TO PUBLIC;
-- zava_reader's SELECT is granted column by column in sql/security.sql (0.9.0).
GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA retail TO zava_admin;
GRANT SELECT, INSERT, UPDATE, DELETE ON zava.principals, zava.principal_stores, zava.role_principals TO zava_admin;
