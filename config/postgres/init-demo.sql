-- Demo schema for docker-compose.yml (run once by the postgres image, from /docker-entrypoint-initdb.d,
-- when its volume is empty). The same tables as the embedded quick start (io.cdchub.embedded.DemoData).
-- cdc-hub creates the publication (filtered: the captured tables only), the slot and its heartbeat table.

CREATE TABLE IF NOT EXISTS customers (
    customer_id       serial PRIMARY KEY,
    email             text NOT NULL UNIQUE,
    first_name        text,
    last_name         text,
    city              text,
    state             text,
    country           text,
    registration_date timestamptz NOT NULL DEFAULT now(),
    is_active         boolean NOT NULL DEFAULT true,
    customer_tier     text NOT NULL DEFAULT 'standard',
    lifetime_value    numeric(10,2) NOT NULL DEFAULT 0
);

CREATE TABLE IF NOT EXISTS orders (
    order_id    bigserial PRIMARY KEY,
    customer_id integer NOT NULL,
    status      text NOT NULL,
    total       numeric(12,2) NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE IF NOT EXISTS commodity_prices (
    id             bigserial PRIMARY KEY,
    commodity_code text NOT NULL,
    price          numeric(12,4) NOT NULL,
    currency       char(3) NOT NULL DEFAULT 'USD',
    source         text NOT NULL,
    updated_at     timestamptz NOT NULL DEFAULT now()
);

INSERT INTO customers (email, first_name, last_name, city, state, country, customer_tier, lifetime_value)
SELECT 'customer' || n || '@example.com', 'First' || n, 'Last' || n,
       (ARRAY['Berlin', 'Lisbon', 'Austin', 'Osaka', 'Nairobi'])[1 + n % 5], 'ST', 'XX',
       (ARRAY['standard', 'gold', 'platinum'])[1 + n % 3], (n * 37 % 5000)::numeric(10,2)
FROM generate_series(1, 20) AS n
ON CONFLICT (email) DO NOTHING;

INSERT INTO orders (customer_id, status, total)
SELECT 1 + n % 20, (ARRAY['pending', 'paid', 'shipped'])[1 + n % 3], (10 + n * 7.25)::numeric(12,2)
FROM generate_series(1, 50) AS n;

INSERT INTO commodity_prices (commodity_code, price, source)
VALUES ('XAU', 2315.4000, 'demo-feed'), ('XAG', 27.1200, 'demo-feed'), ('CL', 78.3300, 'demo-feed');
