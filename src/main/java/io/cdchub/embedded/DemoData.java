package io.cdchub.embedded;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;

import javax.sql.DataSource;

/** The quick start's demo tables, their first rows, and one random demo change at a time. */
public final class DemoData {

    private static final List<String> CITIES = List.of("Lyon", "Austin", "Osaka", "Porto", "Leeds", "Graz", "Perth", "Quito");
    private static final List<String> STATUSES = List.of("pending", "paid", "shipped", "delivered", "cancelled");
    private static final List<String> COMMODITIES = List.of("XAU", "XAG", "BRENT", "WTI", "CORN", "WHEAT", "COPPER");

    private DemoData() {
    }

    static void createDatabase(DataSource postgresDb, String name) throws SQLException {
        try (Connection c = postgresDb.getConnection();
             PreparedStatement exists = c.prepareStatement("SELECT 1 FROM pg_database WHERE datname = ?")) {
            exists.setString(1, name);
            try (ResultSet rs = exists.executeQuery()) {
                if (!rs.next()) {
                    try (Statement st = c.createStatement()) {
                        st.execute("CREATE DATABASE \"" + name + "\""); // a constant, not user input
                    }
                }
            }
        }
    }

    static void createTables(DataSource db) throws SQLException {
        try (Connection c = db.getConnection(); Statement st = c.createStatement()) {
            st.execute("""
                    CREATE TABLE IF NOT EXISTS customers (
                        customer_id serial PRIMARY KEY,
                        email text NOT NULL UNIQUE,
                        first_name text, last_name text, city text, state text, country text,
                        registration_date timestamptz NOT NULL DEFAULT now(),
                        is_active boolean NOT NULL DEFAULT true,
                        customer_tier text NOT NULL DEFAULT 'standard',
                        lifetime_value numeric(10,2) NOT NULL DEFAULT 0)""");
            st.execute("""
                    CREATE TABLE IF NOT EXISTS orders (
                        order_id bigserial PRIMARY KEY,
                        customer_id integer NOT NULL,
                        status text NOT NULL,
                        total numeric(12,2) NOT NULL,
                        created_at timestamptz NOT NULL DEFAULT now())""");
            st.execute("""
                    CREATE TABLE IF NOT EXISTS commodity_prices (
                        id bigserial PRIMARY KEY,
                        commodity_code text NOT NULL,
                        price numeric(12,4) NOT NULL,
                        currency char(3) NOT NULL DEFAULT 'USD',
                        source text NOT NULL,
                        updated_at timestamptz NOT NULL DEFAULT now())""");
            // the polling source's demo table (cdc.embedded.polling), in a schema of its own: the logical source captures
            // the public tables the CSV import creates, and a table both captured and polled would be published twice
            st.execute("CREATE SCHEMA IF NOT EXISTS legacy");
            st.execute("""
                    CREATE TABLE IF NOT EXISTS legacy.stock_levels (
                        sku text PRIMARY KEY,
                        warehouse text NOT NULL,
                        quantity integer NOT NULL,
                        updated_at timestamptz NOT NULL DEFAULT now())""");
            st.execute("INSERT INTO legacy.stock_levels (sku, warehouse, quantity) SELECT 'SKU-' || g, 'Lyon', g * 10 FROM generate_series(1, 5) g"
                    + " ON CONFLICT (sku) DO NOTHING");
            try (ResultSet rs = st.executeQuery("SELECT count(*) FROM customers")) {
                rs.next();
                if (rs.getLong(1) == 0) {
                    for (int i = 1; i <= 10; i++) {
                        insertCustomer(c, i);
                    }
                    for (String code : COMMODITIES) {
                        try (PreparedStatement ps = c.prepareStatement(
                                "INSERT INTO commodity_prices (commodity_code, price, source) VALUES (?, ?, 'demo-feed')")) {
                            ps.setString(1, code);
                            ps.setBigDecimal(2, randomAmount(10, 2500, 4));
                            ps.executeUpdate();
                        }
                    }
                }
            }
        }
    }

    /** Makes one random change: mostly new orders and price ticks, sometimes status changes, new customers, deletes. */
    static String randomChange(DataSource db) throws SQLException {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        int dice = random.nextInt(100);
        try (Connection c = db.getConnection()) {
            if (dice < 35) {
                try (PreparedStatement ps = c.prepareStatement(
                        "INSERT INTO orders (customer_id, status, total) SELECT customer_id, 'pending', ? FROM customers ORDER BY random() LIMIT 1")) {
                    ps.setBigDecimal(1, randomAmount(5, 900, 2));
                    ps.executeUpdate();
                }
                return "new order";
            } else if (dice < 55) {
                try (PreparedStatement ps = c.prepareStatement(
                        "UPDATE commodity_prices SET price = round(price * ?, 4), updated_at = now() WHERE commodity_code = ?")) {
                    ps.setBigDecimal(1, BigDecimal.valueOf(0.98 + random.nextDouble() * 0.04));
                    ps.setString(2, COMMODITIES.get(random.nextInt(COMMODITIES.size())));
                    ps.executeUpdate();
                }
                return "price tick";
            } else if (dice < 65) {
                try (PreparedStatement ps = c.prepareStatement(
                        "UPDATE legacy.stock_levels SET quantity = greatest(0, quantity + ?), updated_at = now() WHERE sku = ?")) {
                    ps.setInt(1, random.nextInt(-5, 6));
                    ps.setString(2, "SKU-" + (1 + random.nextInt(5)));
                    ps.executeUpdate();
                }
                return "stock change";
            } else if (dice < 85) {
                try (PreparedStatement ps = c.prepareStatement(
                        "UPDATE orders SET status = ? WHERE order_id = (SELECT order_id FROM orders ORDER BY random() LIMIT 1)")) {
                    ps.setString(1, STATUSES.get(1 + random.nextInt(STATUSES.size() - 1)));
                    ps.executeUpdate();
                }
                return "order status";
            } else if (dice < 93) {
                try (Statement st = c.createStatement(); ResultSet rs = st.executeQuery("SELECT coalesce(max(customer_id), 0) + 1 FROM customers")) {
                    rs.next();
                    insertCustomer(c, rs.getInt(1));
                }
                return "new customer";
            } else {
                try (Statement st = c.createStatement()) {
                    st.executeUpdate("DELETE FROM orders WHERE order_id = (SELECT order_id FROM orders WHERE status = 'cancelled' ORDER BY order_id LIMIT 1)");
                }
                return "delete cancelled order";
            }
        }
    }

    private static void insertCustomer(Connection c, int n) throws SQLException {
        ThreadLocalRandom random = ThreadLocalRandom.current();
        try (PreparedStatement ps = c.prepareStatement("""
                INSERT INTO customers (email, first_name, last_name, city, state, country, customer_tier, lifetime_value)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (email) DO NOTHING""")) {
            ps.setString(1, "customer" + n + "@example.com");
            ps.setString(2, "First" + n);
            ps.setString(3, "Last" + n);
            ps.setString(4, CITIES.get(random.nextInt(CITIES.size())));
            ps.setString(5, "ST");
            ps.setString(6, "XX");
            ps.setString(7, random.nextInt(5) == 0 ? "gold" : "standard");
            ps.setBigDecimal(8, randomAmount(0, 5000, 2));
            ps.executeUpdate();
        }
    }

    private static BigDecimal randomAmount(int min, int max, int scale) {
        return BigDecimal.valueOf(min + ThreadLocalRandom.current().nextDouble() * (max - min)).setScale(scale, RoundingMode.HALF_UP);
    }

    /** The CSV files the quick start's import loads at its first start (README "CSV import"). */
    static final java.util.List<String> CSV_FILES = java.util.List.of("klienci.csv", "pracownicy.csv");

    /**
     * Puts the demo CSV files into the import's folder when that folder is new: once per data dir, so a restart does
     * not load them twice.
     */
    static void shipCsvFiles(java.nio.file.Path dir) throws java.io.IOException {
        if (java.nio.file.Files.exists(dir)) {
            return;
        }
        java.nio.file.Path staging = java.nio.file.Files.createDirectories(dir.resolveSibling(dir.getFileName() + ".staging"));
        for (String name : CSV_FILES) {
            try (java.io.InputStream in = DemoData.class.getResourceAsStream("/embedded/csv/" + name)) {
                if (in == null) {
                    throw new IllegalStateException("demo CSV file " + name + " is missing from the classpath (embedded/csv/)");
                }
                java.nio.file.Files.copy(in, staging.resolve(name), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
        // the folder appears with both files complete in it
        java.nio.file.Files.move(staging, dir, java.nio.file.StandardCopyOption.ATOMIC_MOVE);
    }
}
