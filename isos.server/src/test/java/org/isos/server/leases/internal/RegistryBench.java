package org.isos.server.leases.internal;

import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.cert.X509Certificate;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadLocalRandom;
import java.util.stream.Stream;

import org.bouncycastle.asn1.x500.X500Name;
import org.bouncycastle.cert.jcajce.JcaX509CertificateConverter;
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder;
import org.bouncycastle.openssl.jcajce.JcaPEMWriter;
import org.bouncycastle.operator.ContentSigner;
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder;
import org.isos.server.PostgresCluster;
import org.isos.server.TestConfigs;
import org.isos.server.accounts.Account;
import org.isos.server.accounts.AccountKind;
import org.isos.server.accounts.internal.JdbcAccounts;
import org.isos.server.bank.PriceTable;
import org.isos.server.bank.internal.JdbcBank;
import org.isos.server.ca.internal.BouncyCastleAuthority;
import org.isos.server.ca.internal.CaConfig;
import org.isos.server.hosts.HostPolicy;
import org.isos.server.hosts.ReportedStatus;
import org.isos.server.hosts.internal.JdbcHosts;
import org.isos.server.internal.ServerHome;
import org.isos.server.leases.Lease;
import org.isos.server.leases.LeaseFixtures;
import org.isos.server.leases.LeaseRefused;
import org.isos.server.leases.LeaseRequest;
import org.isos.server.repository.internal.JdbcRepository;
import org.isos.server.store.Store;
import org.isos.server.store.internal.JdbcStore;
import org.isos.server.store.internal.StoreConfig;

/**
 * The registry at scale, through the server's own store code (migrations, {@link JdbcHosts}, {@link JdbcLeases}) on
 * H2 (file, the server's default) and on PostgreSQL (a throwaway cluster, when installed): {@code hosts} hosts are
 * inserted in bulk with a spread of owners, policies, reserve prices, categories, some suspended and some OFFLINE,
 * and a tenth of them already running a lease; then
 * <ol>
 * <li>store heartbeats ({@link JdbcLeases#heartbeat}, what {@code POST /v1/hosts/{id}/heartbeat} does after TLS and
 * JSON) over {@code beatHosts} of them on {@code threads} threads (the HTTP API's worker pool), each with a ~2 KB
 * OSHI-like description;</li>
 * <li>the allocation match query: {@code matches} varied one- to five-host grants ({@link JdbcLeases#grant}, which is
 * what {@code POST /v1/leases} runs: matching, host locks, escrow, inserts), each released at once; p50 / p99;</li>
 * <li>the match query's plan (EXPLAIN) for one request.</li>
 * </ol>
 * Not a test: run it by hand (docs/benchmarks.md), e.g. {@code RegistryBench 100000 10000 15 300 8}.
 */
public final class RegistryBench {

    private static final PriceTable PRICES = PriceTable.DEFAULT;
    private static final String[] CATEGORIES = { "compute", "storage", "streaming" };

    /** How many of the match phase's requests also run the baseline query (seconds each at 100,000 hosts). */
    private static int baselineMatches;

    private RegistryBench() {
    }

    public static void main(String[] args) throws Exception {
        int hosts = args.length > 0 ? Integer.parseInt(args[0]) : 100_000;
        int beatHosts = Math.min(hosts, args.length > 1 ? Integer.parseInt(args[1]) : 10_000);
        int beatSeconds = args.length > 2 ? Integer.parseInt(args[2]) : 15;
        int matches = args.length > 3 ? Integer.parseInt(args[3]) : 300;
        int threads = args.length > 4 ? Integer.parseInt(args[4]) : 8;
        String only = args.length > 5 ? args[5] : "both";
        baselineMatches = args.length > 6 ? Integer.parseInt(args[6]) : Math.min(matches, 20);
        System.out.printf("registry bench: %,d hosts, heartbeats over %,d for %d s on %d threads, %d grants, %d cores%n",
                hosts, beatHosts, beatSeconds, threads, matches, Runtime.getRuntime().availableProcessors());
        if (!only.equals("pg")) {
            Path h2 = Files.createTempDirectory("isos-registry-bench-");
            try {
                run("H2 (file)", Map.of(), h2, hosts, beatHosts, beatSeconds, matches, threads);
            } finally {
                delete(h2);
            }
        }
        if (only.equals("h2")) {
            return;
        }
        if (PostgresCluster.unavailable().isPresent()) {
            System.out.println("PostgreSQL: skipped, " + PostgresCluster.unavailable().get());
            return;
        }
        try (PostgresCluster cluster = PostgresCluster.start()) {
            Path home = Files.createTempDirectory("isos-registry-bench-");
            try {
                run("PostgreSQL", Map.of("url", cluster.newDatabase(), "user", "isos", "password", "", "poolSize", 16),
                        home, hosts, beatHosts, beatSeconds, matches, threads);
            } finally {
                delete(home);
            }
        }
    }

    /** A host the heartbeat phase uses: its id and a certificate whose serial the certificates table records. */
    record BeatHost(String id, X509Certificate certificate) {
    }

    private static void run(String database, Map<String, Object> config, Path home, int hostCount, int beatHosts,
            int beatSeconds, int matches, int threads) throws Exception {
        ServerHome serverHome = new ServerHome(home);
        try (JdbcStore store = new JdbcStore(TestConfigs.of(StoreConfig.class, config), serverHome)) {
            BouncyCastleAuthority ca = new BouncyCastleAuthority(TestConfigs.of(CaConfig.class, Map.of()), serverHome, store);
            JdbcAccounts accounts = new JdbcAccounts(store);
            JdbcHosts hosts = new JdbcHosts(store, ca);
            JdbcBank bank = new JdbcBank(store, PRICES);
            JdbcRepository repository = new JdbcRepository(store, ca);
            try (JdbcLeases leases = new JdbcLeases(store, hosts, bank, PRICES, java.time.Clock.systemUTC())) {
                Account buyer = accounts.create(AccountKind.BUYER, "Bench Buyer").account();
                bank.deposit("bench-deposit", buyer.id(), 1_000_000_000_000_000L);
                String bundle = repository.store(buyer, LeaseFixtures.signedBundle(ca, buyer.id(), "org.bench.app")).sha256();
                String running = repository.store(buyer, LeaseFixtures.signedBundle(ca, buyer.id(), "org.bench.running"))
                        .sha256();
                long start = System.nanoTime();
                List<BeatHost> beat = populate(store, hostCount, beatHosts, buyer.id(), running);
                System.out.printf("%-10s  %,d hosts inserted in %.1f s (bulk, %,d with a running lease)%n", database,
                        hostCount, (System.nanoTime() - start) / 1e9, hostCount / 10);
                analyze(store);
                primeReported(store, beat);

                // the same store, the three ways a heartbeat can be written, alternated so that the machine's load
                // falls on each alike: each beat its own commit (heartbeatFlushMillis=0), batched with the bench's
                // fixed descriptions, batched with a description that changes every beat (a real agent's survey time)
                JdbcHosts batchedHosts = new JdbcHosts(TestConfigs.of(org.isos.server.hosts.internal.LivenessConfig.class,
                        Map.of("heartbeatSeconds", 3600, "heartbeatFlushMillis", 1000)), store, ca);
                try (JdbcLeases batched = new JdbcLeases(store, batchedHosts, bank, PRICES, java.time.Clock.systemUTC())) {
                    for (int round = 1; round <= 2; round++) {
                        heartbeats(database + " write-through", round, leases, beat, beatSeconds, threads, false);
                        heartbeats(database + " batched", round, batched, beat, beatSeconds, threads, false);
                        heartbeats(database + " batched, changing descriptions", round, batched, beat, beatSeconds,
                                threads, true);
                    }
                } finally {
                    batchedHosts.close();
                }
                if (matches <= 0) {
                    return;
                }
                LeaseRequest sample = new LeaseRequest(bundle, 3, 3600, 0.5, 64L << 20, 1L << 30, 0, 40_000L, "compute",
                        List.of());
                // the baseline's index (V003's hosts_matching, which V010 drops), so that it runs as it used to
                try (Connection c = store.connection(); var s = c.createStatement()) {
                    s.execute("CREATE INDEX hosts_matching ON hosts (status, suspended, max_cpu_share, "
                            + "minimum_price_per_hour_micros)");
                }
                analyze(store);
                explain(store, sample, database, true);
                explain(store, sample, database, false);
                explain(store, withEveryCondition(sample, new Random(7)), database, false);
                for (int round = 1; round <= 2; round++) {
                    everyCondition(database, round, store, bundle, matches, beat);
                }
                for (int round = 1; round <= 2; round++) {
                    matchQueries(database, round, store, bundle, matches, beat);
                }
                for (int round = 1; round <= 2; round++) {
                    grants(database, round, leases, buyer, bundle, matches, beat);
                }
                concurrentGrants(database, leases, buyer, bundle, matches, threads, beat);
            }
        }
    }

    /** Bulk rows: owners (50 hosts each), certificates, hosts, and a running lease on every tenth host. */
    private static List<BeatHost> populate(Store store, int count, int beatHosts, String buyerId, String runningBundle)
            throws Exception {
        KeyPair issuer = LeaseFixtures.ecKeys();
        ContentSigner signer = new JcaContentSignerBuilder("SHA256withECDSA").build(issuer.getPrivate());
        Random random = new Random(42);
        Instant now = Instant.now().truncatedTo(ChronoUnit.MICROS);
        Timestamp created = Timestamp.from(now);
        OffsetDateTime beatAt = OffsetDateTime.ofInstant(now, ZoneOffset.UTC);
        List<BeatHost> beat = new ArrayList<>();
        int owners = Math.max(1, count / 50);
        store.transaction(c -> {
            try (PreparedStatement a = c.prepareStatement("INSERT INTO accounts (id, kind, name, created) VALUES (?, 'owner', ?, ?)")) {
                for (int o = 0; o < owners; o++) {
                    a.setString(1, ownerId(o));
                    a.setString(2, "Owner " + o);
                    a.setTimestamp(3, created);
                    a.addBatch();
                }
                a.executeBatch();
            }
            return null;
        });
        String sharedPem = null;
        for (int from = 0; from < count; from += 1000) {
            int to = Math.min(count, from + 1000);
            List<Object[]> certificates = new ArrayList<>();
            for (int i = from; i < to; i++) {
                String hostId = String.format("host-%032x", i);
                BigInteger serial = new BigInteger(64, random).setBit(63);
                String pem = sharedPem;
                if (i < beatHosts || sharedPem == null) {
                    X509Certificate certificate = new JcaX509CertificateConverter().getCertificate(
                            new JcaX509v3CertificateBuilder(new X500Name("CN=ISOS bench issuer"), serial,
                                    Date.from(now.minusSeconds(60)), Date.from(now.plus(365, ChronoUnit.DAYS)),
                                    new X500Name("CN=" + hostId), issuer.getPublic()).build(signer));
                    pem = pem(certificate);
                    if (sharedPem == null) {
                        sharedPem = pem; // the heartbeat path never parses a host's stored PEM
                    }
                    if (i < beatHosts) {
                        beat.add(new BeatHost(hostId, certificate));
                    }
                }
                certificates.add(new Object[] { hostId, serial.toString(16), pem });
            }
            store.transaction(c -> {
                try (PreparedStatement cert = c.prepareStatement("INSERT INTO certificates (serial, subject, common_name, "
                        + "kind, issued, expires, pem) VALUES (?, ?, ?, 'host', ?, ?, ?)");
                        PreparedStatement host = c.prepareStatement("INSERT INTO hosts (id, owner_id, certificate_serial, "
                                + "description, status, last_heartbeat, created, suspended, suspended_reason, apps, "
                                + "transport_address, max_cpu_share, storage_quota_bytes, bandwidth_cap_bytes_per_second, "
                                + "accepts_compute, accepts_storage, accepts_streaming, minimum_price_per_hour_micros, "
                                + "committed_cpu_share, memory_bytes, availability_clock, allowed_hours, allowed_slots, "
                                + "minimum_price_outside_hours_micros) "
                                + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
                        PreparedStatement lease = c.prepareStatement("INSERT INTO leases (id, buyer_id, host_id, owner_id, "
                                + "bundle_sha256, app, state, category, cpu_share, memory_bytes, storage_bytes, "
                                + "bandwidth_bytes_per_second, price_per_hour_micros, created, expiry) "
                                + "VALUES (?, ?, ?, ?, ?, 'org.bench.running', 'ACTIVE', 'compute', 0.25, 0, 0, 0, 1000, ?, ?)")) {
                    for (Object[] row : certificates) {
                        String hostId = (String) row[0];
                        int i = Integer.parseInt(hostId.substring(5), 16);
                        cert.setString(1, (String) row[1]);
                        cert.setString(2, "CN=" + hostId);
                        cert.setString(3, hostId);
                        cert.setTimestamp(4, created);
                        cert.setTimestamp(5, Timestamp.from(now.plus(365, ChronoUnit.DAYS)));
                        cert.setString(6, (String) row[2]);
                        cert.addBatch();
                        String owner = ownerId(random.nextInt(owners));
                        host.setString(1, hostId);
                        host.setString(2, owner);
                        host.setString(3, (String) row[1]);
                        host.setString(4, description(i));
                        // the heartbeat phase's hosts are ONLINE; of the others one in ten is OFFLINE
                        host.setString(5, i >= beatHosts && random.nextInt(10) == 0 ? "OFFLINE" : "ONLINE");
                        host.setObject(6, beatAt);
                        host.setTimestamp(7, created);
                        boolean suspended = random.nextInt(20) == 0;
                        host.setBoolean(8, suspended);
                        host.setString(9, suspended ? "owner at the keyboard" : null);
                        host.setInt(10, i % 10 == 0 ? 1 : 0);
                        host.setString(11, "10." + (i >> 16 & 255) + "." + (i >> 8 & 255) + "." + (i & 255) + ":7443");
                        host.setDouble(12, new double[] { 0.5, 1, 2, 4, 8 }[random.nextInt(5)]);
                        host.setLong(13, (1L << 30) * (1 + random.nextInt(500)));
                        host.setLong(14, 125_000L * (1 + random.nextInt(800)));
                        host.setBoolean(15, random.nextInt(10) < 8);
                        host.setBoolean(16, random.nextInt(10) < 5);
                        host.setBoolean(17, random.nextInt(10) < 3);
                        host.setLong(18, random.nextInt(4) == 0 ? 0 : 1_000L * random.nextInt(60));
                        host.setDouble(19, i % 10 == 0 ? 0.25 : 0); // its running lease, inserted below
                        host.setLong(20, (1L << 30) * (1 << random.nextInt(7))); // 1 to 64 GiB
                        // availability from none to nearly full: the clock up to 5 days back (see Availability)
                        host.setDouble(21, org.isos.server.hosts.Availability.seconds(now) - random.nextInt(5 * 86_400));
                        // half take work at any time, the others protect the UTC evening or the working day
                        List<String> hours = List.<List<String>>of(List.of(), List.of(), List.of("06:00-18:00"), List.of("18:00-08:00"))
                                .get(random.nextInt(4));
                        host.setString(22, String.join(",", hours));
                        host.setString(23, org.isos.server.hosts.DailyHours.slots(hours));
                        host.setLong(24, random.nextInt(2) == 0 ? 0 : 1_000L * (20 + random.nextInt(60)));
                        host.addBatch();
                        if (i % 10 == 0) {
                            lease.setString(1, String.format("lease-bench-%032x", i));
                            lease.setString(2, buyerId);
                            lease.setString(3, hostId);
                            lease.setString(4, owner);
                            lease.setString(5, runningBundle);
                            lease.setObject(6, beatAt);
                            lease.setObject(7, beatAt.plusDays(1));
                            lease.addBatch();
                        }
                    }
                    cert.executeBatch();
                    host.executeBatch();
                    lease.executeBatch();
                }
                return null;
            });
        }
        return beat;
    }

    private static String ownerId(int o) {
        return String.format("owner-%032x", o);
    }

    /** About 2 KB, shaped like the agent's OSHI description; {@code i} varies the numbers. */
    static String description(int i) {
        StringBuilder d = new StringBuilder("{\"os\":{\"family\":\"Debian GNU/Linux\",\"version\":\"12 (bookworm)\","
                + "\"build\":\"6.1.0-" + (i % 30) + "-amd64\",\"bitness\":64},\"processor\":{\"name\":\"Intel(R) Xeon(R) "
                + "CPU @ 2.20GHz\",\"vendor\":\"GenuineIntel\",\"physicalCores\":" + (2 << (i % 4)) + ",\"logicalCores\":"
                + (4 << (i % 4)) + ",\"maxFrequencyHz\":2200000000,\"identifier\":\"Intel64 Family 6 Model 79 Stepping 0\","
                + "\"microarchitecture\":\"Broadwell\"},\"memory\":{\"totalBytes\":" + ((8L << 30) << (i % 3))
                + ",\"pageSizeBytes\":4096},\"java\":{\"version\":\"17.0.15\",\"vendor\":\"Debian\"},\"disks\":[");
        for (int k = 0; k < 4; k++) {
            d.append(k == 0 ? "" : ",").append("{\"name\":\"/dev/nvme").append(k).append("n1\",\"model\":\"Samsung SSD 980 "
                    + "PRO 1TB\",\"serial\":\"S5GXNX0R").append(String.format("%08d", i)).append(k)
                    .append("\",\"sizeBytes\":1000204886016}");
        }
        d.append("],\"fileStores\":[");
        for (int k = 0; k < 4; k++) {
            d.append(k == 0 ? "" : ",").append("{\"mount\":\"/srv/data").append(k).append("\",\"type\":\"ext4\",\"totalBytes\":"
                    + "983349346304,\"usableBytes\":").append(400_000_000_000L + i * 1_000L + k).append("}");
        }
        d.append("],\"network\":[");
        for (int k = 0; k < 3; k++) {
            d.append(k == 0 ? "" : ",").append("{\"name\":\"eth").append(k).append("\",\"mac\":\"02:42:ac:11:")
                    .append(String.format("%02x:%02x", (i >> 8) & 255, i & 255)).append("\",\"speedBitsPerSecond\":10000000000,"
                            + "\"ipv4\":[\"10.").append(i >> 16 & 255).append('.').append(i >> 8 & 255).append('.')
                    .append(i & 255).append("\"],\"mtu\":1500}");
        }
        d.append("],\"bandwidth\":{\"measuredUpBitsPerSecond\":940000000,\"measuredDownBitsPerSecond\":941000000},"
                + "\"availability\":{\"uptimeSeconds\":").append(86_400L * 30 + i).append(",\"boots30d\":1}}");
        return d.toString();
    }

    private static String pem(X509Certificate certificate) throws Exception {
        StringWriter out = new StringWriter();
        try (JcaPEMWriter writer = new JcaPEMWriter(out)) {
            writer.writeObject(certificate);
        }
        return out.toString();
    }

    /**
     * The heartbeating hosts' rows hold what the heartbeat phase reports ({@link #heartbeats}' status), as the
     * rows of agents that heartbeated before do: the phase then measures steady-state heartbeats, not first ones
     * (a batched heartbeat writes its row only when the report differs).
     */
    private static void primeReported(Store store, List<BeatHost> hosts) throws SQLException {
        store.transaction(c -> {
            try (PreparedStatement u = c.prepareStatement("UPDATE hosts SET status = 'ONLINE', suspended = FALSE, "
                    + "suspended_reason = NULL, apps = 0, transport_address = '127.0.0.1:7443', max_cpu_share = 1, "
                    + "storage_quota_bytes = ?, bandwidth_cap_bytes_per_second = 1000000, accepts_compute = TRUE, "
                    + "accepts_storage = FALSE, accepts_streaming = FALSE, minimum_price_per_hour_micros = 0 WHERE id = ?")) {
                for (BeatHost host : hosts) {
                    u.setLong(1, 1L << 30);
                    u.setString(2, host.id());
                    u.addBatch();
                }
                u.executeBatch();
            }
            return null;
        });
    }

    /** Fresh statistics, as a server that has run a while has them (PostgreSQL's autovacuum, H2's ANALYZE). */
    private static void analyze(Store store) throws SQLException {
        try (Connection c = store.connection(); var s = c.createStatement()) {
            s.execute("ANALYZE");
        }
    }

    /** Heartbeats in a closed loop on {@code threads} threads, random hosts, for the given time after a warm-up. */
    private static void heartbeats(String database, int round, JdbcLeases leases, List<BeatHost> hosts, int seconds,
            int threads, boolean changingDescriptions) throws Exception {
        ReportedStatus status = new ReportedStatus(false, null, 0, "127.0.0.1:7443",
                new HostPolicy(1, 1L << 30, 1_000_000, Set.of("compute"), 0));
        long warmUntil = System.nanoTime() + Math.max(1, seconds / 5) * 1_000_000_000L;
        long until = warmUntil + seconds * 1_000_000_000L;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<List<Long>>> running = new ArrayList<>();
        java.util.concurrent.atomic.AtomicLong cpu = new java.util.concurrent.atomic.AtomicLong();
        java.lang.management.ThreadMXBean mx = java.lang.management.ManagementFactory.getThreadMXBean();
        for (int t = 0; t < threads; t++) {
            running.add(pool.submit(() -> {
                List<Long> nanos = new ArrayList<>();
                long cpuAtWarm = -1;
                ThreadLocalRandom random = ThreadLocalRandom.current();
                while (true) {
                    BeatHost host = hosts.get(random.nextInt(hosts.size()));
                    int i = Integer.parseInt(host.id().substring(5), 16);
                    long sent = System.nanoTime();
                    if (sent >= warmUntil && cpuAtWarm < 0) {
                        cpuAtWarm = mx.getCurrentThreadCpuTime();
                    }
                    if (sent > until) {
                        cpu.addAndGet(mx.getCurrentThreadCpuTime() - Math.max(0, cpuAtWarm));
                        return nanos;
                    }
                    String description = description(i);
                    if (changingDescriptions) {
                        description = description.substring(0, description.length() - 1) + ",\"surveyed\":\""
                                + Instant.now() + "\"}";
                    }
                    leases.heartbeat(host.id(), host.certificate(), description, status, List.of());
                    long answered = System.nanoTime();
                    if (sent >= warmUntil && answered <= until) {
                        nanos.add(answered - sent);
                    }
                }
            }));
        }
        List<Long> all = new ArrayList<>();
        for (Future<List<Long>> f : running) {
            all.addAll(f.get());
        }
        pool.shutdown();
        // on a shared machine the rate follows the load; the CPU time a beat costs does not (much)
        System.out.printf("%-10s round %d: store heartbeats over %,d hosts: %,.0f/s, %.2f ms CPU each (~%,.0f/s per "
                + "core), %s%n", database, round, hosts.size(), all.size() / (double) seconds, cpu.get() / 1e6 / all.size(),
                all.size() / (cpu.get() / 1e9), percentiles(all));
    }

    /** A request of the mix the match phases use: 1-5 hosts, varied resources, ceilings, categories, exclusions. */
    private static LeaseRequest request(Random random, String bundle, List<BeatHost> some) {
        double cpu = new double[] { 0.1, 0.25, 0.5, 1, 2, 4 }[random.nextInt(6)];
        long storage = random.nextInt(3) == 0 ? 0 : (1L << 30) * (1 + random.nextInt(200));
        long bandwidth = random.nextInt(2) == 0 ? 0 : 125_000L * (1 + random.nextInt(400));
        // above the posted price (else the grant is refused before matching): a ceiling on the owners' reserves
        long posted = PRICES.pricePerHourMicros(cpu, storage);
        Long maxPrice = random.nextInt(3) == 0 ? null : posted + 1_000L * random.nextInt(60);
        String category = random.nextInt(4) == 0 ? null : CATEGORIES[random.nextInt(3)];
        List<String> exclude = random.nextInt(5) == 0
                ? List.of(some.get(random.nextInt(some.size())).id(), some.get(random.nextInt(some.size())).id())
                : List.of();
        return new LeaseRequest(bundle, 1 + random.nextInt(5), 60 + random.nextInt(7200), cpu, 64L << 20, storage,
                bandwidth, maxPrice, category, exclude);
    }

    /** The request also asking memory, a minimum availability and a daily UTC window (V012's conditions). */
    private static LeaseRequest withEveryCondition(LeaseRequest r, Random random) {
        return new LeaseRequest(r.bundle(), r.hosts(), r.seconds(), r.cpuShare(), (1L << 30) * (1 << random.nextInt(4)),
                r.storageBytes(), r.bandwidthBytesPerSecond(), r.maxPricePerHourMicros(), r.category(), r.excludeHosts(),
                new double[] { 0.3, 0.6, 0.9 }[random.nextInt(3)],
                new String[] { "22:00-06:00", "09:00-17:00", "12:00-13:00" }[random.nextInt(3)]);
    }

    /**
     * The match query ({@link JdbcLeases#candidates}) on V010's conditions (CPU, storage, bandwidth, price, category)
     * and on the same requests with V012's too (memory, availability, window), alternating which goes first.
     */
    private static void everyCondition(String database, int round, Store store, String bundle, int count,
            List<BeatHost> some) throws Exception {
        Random random = new Random(200 + round);
        List<Long> before = new ArrayList<>();
        List<Long> every = new ArrayList<>();
        int[] found = new int[2];
        for (int n = 0; n < count; n++) {
            LeaseRequest generated = request(random, bundle, some);
            LeaseRequest plain = new LeaseRequest(bundle, generated.hosts(), generated.seconds(), generated.cpuShare(), 0,
                    generated.storageBytes(), generated.bandwidthBytesPerSecond(), generated.maxPricePerHourMicros(),
                    generated.category(), generated.excludeHosts());
            LeaseRequest full = withEveryCondition(generated, random);
            long posted = PRICES.pricePerHourMicros(plain.cpuShare(), plain.storageBytes());
            for (int k = 0; k < 2; k++) {
                boolean asBefore = (n + k) % 2 == 0;
                LeaseRequest request = asBefore ? plain : full;
                long start = System.nanoTime();
                int chosen = store.transaction(c -> JdbcLeases.candidates(c, request, posted, List.of(), Instant.now())
                        .size());
                (asBefore ? before : every).add(System.nanoTime() - start);
                found[asBefore ? 0 : 1] += chosen == request.hosts() ? 1 : 0;
            }
        }
        System.out.printf("%-10s  round %d: match query, %d requests of 1-5 hosts: V010's conditions %s (%d filled); "
                + "with memory, availability, window %s (%d filled); p50 ratio %.2f%n", database, round, count,
                percentiles(before), found[0], percentiles(every), found[1],
                at(every.stream().mapToLong(Long::longValue).sorted().toArray(), 50)
                        / at(before.stream().mapToLong(Long::longValue).sorted().toArray(), 50));
    }

    /**
     * The match query alone, the baseline (before V010: every qualifying host ranked in SQL, leases summed per host)
     * and the new one ({@link JdbcLeases#candidates}: the cheapest few hundred by index, ranked in Java, widened when
     * needed) on the same requests, alternating which goes first; and how often both chose the same hosts.
     */
    private static void matchQueries(String database, int round, Store store, String bundle, int count,
            List<BeatHost> some) throws Exception {
        Random random = new Random(100 + round);
        List<Long> baseline = new ArrayList<>();
        List<Long> fresh = new ArrayList<>();
        int same = 0;
        for (int n = 0; n < count; n++) {
            LeaseRequest request = request(random, bundle, some);
            long posted = PRICES.pricePerHourMicros(request.cpuShare(), request.storageBytes());
            List<String> chosenBefore = null;
            List<String> chosenNow = null;
            for (int k = n < baselineMatches ? 0 : 1; k < 2; k++) {
                boolean runBaseline = n < baselineMatches && (n + k) % 2 == 0;
                long start = System.nanoTime();
                List<String> chosen = store.transaction(c -> {
                    List<String> ids = new ArrayList<>();
                    if (runBaseline) {
                        List<Object> parameters = new ArrayList<>();
                        try (PreparedStatement s = c.prepareStatement(baselineMatchQuery(request, posted, List.of(),
                                parameters))) {
                            JdbcLeases.bind(s, parameters);
                            try (ResultSet r = s.executeQuery()) {
                                while (r.next()) {
                                    ids.add(r.getString(1));
                                }
                            }
                        }
                    } else {
                        for (String[] host : JdbcLeases.candidates(c, request, posted, List.of(), Instant.now())) {
                            ids.add(host[0]);
                        }
                    }
                    return ids;
                });
                (runBaseline ? baseline : fresh).add(System.nanoTime() - start);
                if (runBaseline) {
                    chosenBefore = chosen;
                } else {
                    chosenNow = chosen;
                }
            }
            if (chosenBefore != null && Set.copyOf(chosenBefore).equals(Set.copyOf(chosenNow))) {
                same++;
            }
        }
        if (baseline.isEmpty()) {
            System.out.printf("%-10s  round %d: match query, requests of 1-5 hosts: %s (no baseline asked)%n", database,
                    round, percentiles(fresh));
            return;
        }
        double p50Old = at(baseline.stream().mapToLong(Long::longValue).sorted().toArray(), 50);
        double p50New = at(fresh.stream().mapToLong(Long::longValue).sorted().toArray(), 50);
        System.out.printf("%-10s  round %d: match query, requests of 1-5 hosts: baseline (first %d) %s; new (all %d) %s; "
                + "p50 %.0fx faster; same hosts chosen for %d of %d (the rest: ties at the posted price)%n", database,
                round, baseline.size(), percentiles(baseline), count, percentiles(fresh), p50Old / p50New, same,
                baseline.size());
    }

    /** Varied grants, each released at once: the matching query over the whole registry, then escrow and inserts. */
    private static void grants(String database, int round, JdbcLeases leases, Account buyer, String bundle, int count,
            List<BeatHost> some) throws Exception {
        Random random = new Random(round);
        List<Long> nanos = new ArrayList<>();
        List<Long> refusedNanos = new ArrayList<>();
        int refused = 0;
        for (int n = 0; n < count; n++) {
            LeaseRequest request = request(random, bundle, some);
            long start = System.nanoTime();
            List<Lease> granted;
            try {
                granted = leases.grant(buyer, request);
            } catch (LeaseRefused e) {
                refused++;
                refusedNanos.add(System.nanoTime() - start);
                continue;
            }
            nanos.add(System.nanoTime() - start);
            for (Lease lease : granted) {
                leases.release(buyer, lease.id());
            }
        }
        System.out.printf("%-10s  round %d: %d grants of 1-5 hosts matched over the registry: %s; %d refused (not "
                + "enough hosts qualified, diagnosed): %s%n", database, round, count - refused, percentiles(nanos), refused,
                percentiles(refusedNanos));
    }

    /**
     * Allocation under concurrent load: {@code threads} threads grant (and release at once) {@code count} requests in
     * all, of the one bundle, so they compete for the same cheapest hosts (locks, the re-check, retries).
     */
    private static void concurrentGrants(String database, JdbcLeases leases, Account buyer, String bundle, int count,
            int threads, List<BeatHost> some) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        List<Future<List<Long>>> running = new ArrayList<>();
        java.util.concurrent.atomic.AtomicInteger next = new java.util.concurrent.atomic.AtomicInteger();
        java.util.concurrent.atomic.AtomicInteger refused = new java.util.concurrent.atomic.AtomicInteger();
        long start = System.nanoTime();
        for (int t = 0; t < threads; t++) {
            int seed = t;
            running.add(pool.submit(() -> {
                Random random = new Random(1000 + seed);
                List<Long> nanos = new ArrayList<>();
                while (next.getAndIncrement() < count) {
                    LeaseRequest request = request(random, bundle, some);
                    long sent = System.nanoTime();
                    try {
                        List<Lease> granted = leases.grant(buyer, request);
                        nanos.add(System.nanoTime() - sent);
                        for (Lease lease : granted) {
                            leases.release(buyer, lease.id());
                        }
                    } catch (LeaseRefused e) {
                        refused.incrementAndGet();
                    }
                }
                return nanos;
            }));
        }
        List<Long> all = new ArrayList<>();
        for (Future<List<Long>> f : running) {
            all.addAll(f.get());
        }
        pool.shutdown();
        double seconds = (System.nanoTime() - start) / 1e9;
        System.out.printf("%-10s  concurrent grants on %d threads, the same bundle: %s; %d refused; %.1f grants+releases/s%n",
                database, threads, percentiles(all), refused.get(), (all.size() + refused.get()) / seconds);
    }

    private static void explain(Store store, LeaseRequest request, String database, boolean baseline)
            throws SQLException {
        List<Object> parameters = new ArrayList<>();
        long posted = PRICES.pricePerHourMicros(request.cpuShare(), request.storageBytes());
        String sql = baseline ? baselineMatchQuery(request, posted, List.of(), parameters)
                : JdbcLeases.matchQuery(request, List.of(), Math.max(JdbcLeases.MATCH_MIN_ROWS,
                        request.hosts() * JdbcLeases.MATCH_ROWS_PER_HOST), parameters, Instant.now());
        try (Connection c = store.connection(); PreparedStatement s = c.prepareStatement("EXPLAIN ANALYZE " + sql)) {
            JdbcLeases.bind(s, parameters);
            StringBuilder plan = new StringBuilder();
            try (ResultSet r = s.executeQuery()) {
                while (r.next()) {
                    plan.append("    ").append(r.getString(1).replace("\n", "\n    ")).append('\n');
                }
            }
            System.out.printf("%-10s  %s match query plan (EXPLAIN ANALYZE):%n%s", database,
                    baseline ? "baseline (before V010)" : "new", plan);
        }
    }

    /**
     * The baseline: the match query before migration V010, kept verbatim (less the re-check's host list): it ranks
     * every qualifying host in SQL, summing each one's running leases.
     */
    static String baselineMatchQuery(LeaseRequest request, long posted, List<String> onlyHosts, List<Object> parameters) {
        StringBuilder sql = new StringBuilder("SELECT id, owner_id, minimum_price_per_hour_micros, transport_address FROM ("
                + "SELECT h.id, h.owner_id, h.minimum_price_per_hour_micros, h.transport_address, "
                + "ROW_NUMBER() OVER (PARTITION BY h.owner_id ORDER BY h.minimum_price_per_hour_micros, h.id) AS owner_rank, "
                // owners who run this bundle already come after the others (spread across requests too)
                + "CASE WHEN EXISTS (SELECT 1 FROM leases o WHERE o.owner_id = h.owner_id AND o.bundle_sha256 = ? "
                + "AND o.state IN " + "('PENDING', 'ACTIVE')" + ") THEN 1 ELSE 0 END AS owner_runs_it "
                + "FROM hosts h WHERE h.status = 'ONLINE' AND h.suspended = FALSE "
                + "AND h.max_cpu_share >= ? AND h.storage_quota_bytes >= ? AND h.bandwidth_cap_bytes_per_second >= ? ");
        parameters.addAll(List.of(request.bundle(), request.cpuShare(), request.storageBytes(),
                request.bandwidthBytesPerSecond()));
        if (request.category() != null) {
            sql.append("AND h.").append("accepts_" + request.category()).append(" = TRUE ");
        }
        if (request.maxPricePerHourMicros() != null) {
            sql.append("AND h.minimum_price_per_hour_micros <= ? ");
            parameters.add(request.maxPricePerHourMicros());
        }
        if (!request.excludeHosts().isEmpty()) {
            sql.append("AND h.id NOT IN (").append("?, ".repeat(request.excludeHosts().size() - 1)).append("?) ");
            parameters.addAll(request.excludeHosts());
        }
        if (!onlyHosts.isEmpty()) {
            sql.append("AND h.id IN (").append("?, ".repeat(onlyHosts.size() - 1)).append("?) ");
            parameters.addAll(onlyHosts);
        }
        // never two running leases of one bundle on one host; room left after the host's running leases
        sql.append("AND NOT EXISTS (SELECT 1 FROM leases l WHERE l.host_id = h.id AND l.state IN " + "('PENDING', 'ACTIVE')"
                + " AND l.bundle_sha256 = ?) ");
        parameters.add(request.bundle());
        sql.append("AND h.max_cpu_share >= ? + COALESCE((SELECT SUM(l.cpu_share) FROM leases l WHERE l.host_id = h.id "
                + "AND l.state IN " + "('PENDING', 'ACTIVE')" + "), 0) ");
        sql.append("AND h.storage_quota_bytes >= ? + COALESCE((SELECT SUM(l.storage_bytes) FROM leases l "
                + "WHERE l.host_id = h.id AND l.state IN " + "('PENDING', 'ACTIVE')" + "), 0) ");
        sql.append("AND h.bandwidth_cap_bytes_per_second >= ? + COALESCE((SELECT SUM(l.bandwidth_bytes_per_second) "
                + "FROM leases l WHERE l.host_id = h.id AND l.state IN " + "('PENDING', 'ACTIVE')" + "), 0) ");
        parameters.addAll(List.of(request.cpuShare(), request.storageBytes(), request.bandwidthBytesPerSecond()));
        sql.append(") candidates ORDER BY owner_runs_it, owner_rank, GREATEST(minimum_price_per_hour_micros, ?), id LIMIT ?");
        parameters.add(posted);
        parameters.add(onlyHosts.isEmpty() ? request.hosts() : onlyHosts.size());
        return sql.toString();
    }

    private static String percentiles(List<Long> nanos) {
        long[] sorted = nanos.stream().mapToLong(Long::longValue).sorted().toArray();
        if (sorted.length == 0) {
            return "no samples";
        }
        return String.format("p50 %.2f ms, p99 %.2f ms, max %.2f ms (%d samples)", at(sorted, 50), at(sorted, 99),
                sorted[sorted.length - 1] / 1e6, sorted.length);
    }

    private static double at(long[] sorted, double p) {
        int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))] / 1e6;
    }

    private static void delete(Path dir) throws Exception {
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
        }
    }
}
