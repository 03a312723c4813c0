package io.cdchub.testinfra;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.UserPrincipal;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

import javax.sql.DataSource;

import org.postgresql.ds.PGSimpleDataSource;

/**
 * A real PostgreSQL server (Debian's binaries, initdb into a temp dir, wal_level=logical), started
 * once per test JVM and stopped when it exits. PostgreSQL refuses to run as root, so under root it
 * runs as the 'postgres' user. scripts/install-test-prerequisites.sh installs the binaries.
 */
public final class PostgresServer {

    public static final String USER = "postgres";

    private static PostgresServer shared;

    private final Path bin;
    private final Path root;
    private final Path data;
    private final int port;
    private final boolean asPostgresUser;
    /** wal_level=logical (the source's); else PostgreSQL's default (replica): no logical replication possible. */
    private final boolean logical;

    private PostgresServer() throws IOException, InterruptedException {
        this(true);
    }

    private PostgresServer(boolean logical) throws IOException, InterruptedException {
        this.logical = logical;
        bin = findBinaries();
        asPostgresUser = "root".equals(System.getProperty("user.name"));
        root = Files.createTempDirectory("cdc-hub-pg-");
        data = root.resolve("data");
        if (asPostgresUser) {
            UserPrincipal postgres = root.getFileSystem().getUserPrincipalLookupService().lookupPrincipalByName(USER);
            Files.setOwner(root, postgres);
        }
        port = freePort();
        run(bin.resolve("initdb").toString(), "-D", data.toString(), "-U", USER, "--auth=trust", "-E", "UTF8", "--no-locale");
        startServer();
    }

    /**
     * Starts the server (again) on its port and data directory; returns once it accepts connections. With
     * {@link #stopServer()}, a test takes the whole server away for an outage and brings it back.
     */
    public synchronized void startServer() {
        try {
            // fsync=off is safe for a process crash (the kernel keeps what was written); synchronous_commit stays on,
            // PostgreSQL's default: with it off, stopServer() ("a crash") dropped commits acknowledged in the last few
            // hundred milliseconds, and the fault suite counted a target's own lost commits as cdc-hub losing changes.
            // One slot per source test stays until this server stops (a restart test needs its slot back): the suite
            // creates more than 30, and past max_replication_slots a child cdc-hub waited for a slot in vain
            run(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-l", root.resolve("server.log").toString(), "-w", "-t", "60", "-o",
                    "-p " + port + " -k " + root + " -c listen_addresses=127.0.0.1" + (logical ? " -c wal_level=logical" : "") + " -c fsync=off"
                            + " -c full_page_writes=off -c max_wal_senders=100 -c max_replication_slots=100"
                            + " -c max_connections=300 -c wal_sender_timeout=0",
                    "start");
        } catch (IOException e) {
            throw new IllegalStateException("Cannot start the test PostgreSQL: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** Stops the server as a crash would ({@code pg_ctl stop -m immediate}), keeping its data for {@link #startServer()}. */
    public synchronized void stopServer() {
        try {
            run(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "immediate", "-w", "stop");
        } catch (IOException e) {
            throw new IllegalStateException("Cannot stop the test PostgreSQL: " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /**
     * A server of its own (not the shared one), e.g. a target database a test stops and starts without touching the
     * source; stopped and removed when the JVM exits.
     */
    public static PostgresServer startNew() {
        return startNew(true);
    }

    /**
     * A server of its own with PostgreSQL's default wal_level (replica), where logical replication is not possible: the
     * kind of database the polling source is for.
     */
    public static PostgresServer startNewWithoutLogicalReplication() {
        return startNew(false);
    }

    private static PostgresServer startNew(boolean logical) {
        try {
            PostgresServer server = new PostgresServer(logical);
            Runtime.getRuntime().addShutdownHook(new Thread(server::stop, "stop-test-postgres-" + server.port));
            return server;
        } catch (IOException | InterruptedException e) {
            throw new IllegalStateException("Cannot start a test PostgreSQL: " + e.getMessage()
                    + " (run scripts/install-test-prerequisites.sh)", e);
        }
    }

    /**
     * Inserts rows (id, 'row ' + id) for ids 1..rows into {@code table} (id int, text) of {@code database}, one row per
     * transaction committed back to back, counting each commit in {@code written}: a steady load that a stop, kill or
     * failover lands in between commits.
     */
    public void insertRowsOneByOne(String database, String table, int rows, java.util.concurrent.atomic.AtomicInteger written) {
        try (Connection c = dataSource(database).getConnection();
             java.sql.PreparedStatement insert = c.prepareStatement("INSERT INTO " + table + " VALUES (?, ?)")) {
            for (int id = 1; id <= rows; id++) {
                insert.setInt(1, id);
                insert.setString(2, "row " + id);
                insert.executeUpdate();
                written.incrementAndGet();
            }
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * Takes a database away as a target outage would: its connections are ended and it is renamed to
     * {@code <name>_away}, so new connections fail with "database does not exist". {@link #bringBack} undoes it.
     */
    public void takeAway(String database) {
        execute("postgres", "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = '" + database + "'",
                "ALTER DATABASE " + database + " RENAME TO " + database + "_away");
    }

    /** Undoes {@link #takeAway}. */
    public void bringBack(String database) {
        execute("postgres", "ALTER DATABASE " + database + "_away RENAME TO " + database);
    }

    /** The server shared by every test in this JVM, started on first use. */
    public static synchronized PostgresServer shared() {
        if (shared == null) {
            try {
                shared = new PostgresServer();
            } catch (IOException | InterruptedException e) {
                throw new IllegalStateException("Cannot start the test PostgreSQL: " + e.getMessage()
                        + " (run scripts/install-test-prerequisites.sh)", e);
            }
            Runtime.getRuntime().addShutdownHook(new Thread(shared::stop, "stop-test-postgres"));
        }
        return shared;
    }

    public String host() {
        return "127.0.0.1";
    }

    public int port() {
        return port;
    }

    public String jdbcUrl(String database) {
        return "jdbc:postgresql://127.0.0.1:" + port + "/" + database;
    }

    public DataSource dataSource(String database) {
        PGSimpleDataSource ds = new PGSimpleDataSource();
        ds.setUrl(jdbcUrl(database));
        ds.setUser(USER);
        return ds;
    }

    /** Creates the database unless it exists. */
    public synchronized void createDatabase(String name) {
        try (Connection c = dataSource("postgres").getConnection(); Statement st = c.createStatement()) {
            var rs = st.executeQuery("SELECT 1 FROM pg_database WHERE datname = '" + name + "'");
            if (!rs.next()) {
                st.execute("CREATE DATABASE \"" + name + "\"");
            }
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }

    /** Runs statements in the database, each in its own autocommit transaction. */
    public void execute(String database, String... statements) {
        try (Connection c = dataSource(database).getConnection(); Statement st = c.createStatement()) {
            for (String sql : statements) {
                st.execute(sql);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("SQL failed: " + e.getMessage(), e);
        }
    }

    private synchronized void stop() {
        try {
            if (Files.exists(data.resolve("postmaster.pid"))) {
                run(bin.resolve("pg_ctl").toString(), "-D", data.toString(), "-m", "immediate", "-w", "stop");
            }
        } catch (Exception e) {
            System.err.println("Test PostgreSQL did not stop cleanly: " + e.getMessage());
        }
        TempDirs.delete(root);
    }

    private void run(String... command) throws IOException, InterruptedException {
        List<String> full = new ArrayList<>();
        if (asPostgresUser) {
            full.addAll(List.of("runuser", "-u", USER, "--"));
        }
        full.addAll(List.of(command));
        Process process = new ProcessBuilder(full).redirectErrorStream(true).redirectOutput(root.resolve("ctl.log").toFile()).start();
        if (!process.waitFor(120, TimeUnit.SECONDS) || process.exitValue() != 0) {
            process.destroyForcibly();
            String log = Files.exists(root.resolve("server.log")) ? Files.readString(root.resolve("server.log")) : "";
            throw new IOException(String.join(" ", full) + " failed: " + Files.readString(root.resolve("ctl.log")) + "\n" + log);
        }
    }

    private static Path findBinaries() throws IOException {
        String configured = System.getenv("CDC_HUB_TEST_PG_BIN");
        if (configured != null) {
            return Path.of(configured);
        }
        Path base = Path.of("/usr/lib/postgresql");
        if (Files.isDirectory(base)) {
            try (Stream<Path> versions = Files.list(base)) {
                var found = versions.map(v -> v.resolve("bin"))
                        .filter(b -> Files.isExecutable(b.resolve("initdb")))
                        .max(Comparator.comparingInt(b -> Integer.parseInt(b.getParent().getFileName().toString().replaceAll("\\D", "0"))));
                if (found.isPresent()) {
                    return found.get();
                }
            }
        }
        throw new IOException("No PostgreSQL server binaries under /usr/lib/postgresql/*/bin (Debian package postgresql-15);"
                + " or set CDC_HUB_TEST_PG_BIN");
    }

    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        }
    }
}
